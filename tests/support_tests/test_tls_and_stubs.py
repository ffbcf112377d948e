"""TLS material, the HTTPS test server, the TCP stub and the port helpers behave as documented."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import httpx
import pytest

from tests.support.ports import free_port, wait_for_port, wait_for_port_closed
from tests.support.stubs import TcpStubServer
from tests.support.tls import HttpsServer, self_signed_https_server, tls_material


def test_trusted_https_server_answers_200_when_the_ca_is_trusted() -> None:
    """A client that trusts the test CA gets 200 on any path of the trusted server."""
    with HttpsServer("trusted") as server:
        verify = tls_material().client_context()
        for host in ("127.0.0.1", "localhost"):
            url = server.url.replace("127.0.0.1", host) + "/any/path"
            assert httpx.get(url, verify=verify).status_code == 200
        assert len(server.requests) == 2


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("self_signed", "self-signed certificate"),
        ("wrong_host", "mismatch"),
        ("expired", "certificate has expired"),
    ],
)
def test_bad_certificates_fail_verification(kind: str, reason: str) -> None:
    """A client trusting the test CA still rejects self-signed, wrong-host and expired certs."""
    with HttpsServer(kind) as server:  # type: ignore[arg-type]
        with pytest.raises(httpx.ConnectError, match=reason):
            httpx.get(server.url, verify=tls_material().client_context())
        assert server.requests == []


def test_self_signed_server_fails_with_default_trust() -> None:
    """With the system trust store, the self-signed server fails certificate verification."""
    with (
        self_signed_https_server() as server,
        pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"),
    ):
        httpx.get(server.url)


def test_tcp_stub_behaviours(tcp_stub: Callable[..., TcpStubServer]) -> None:
    """close ends the stream at once, echo echoes, hold never answers."""
    with socket.create_connection(tcp_stub("close").address, timeout=2) as sock:
        assert sock.recv(1) == b""
    with socket.create_connection(tcp_stub("echo").address, timeout=2) as sock:
        sock.sendall(b"echo")
        assert sock.recv(4) == b"echo"
    with socket.create_connection(tcp_stub("hold").address, timeout=0.2) as sock:
        sock.sendall(b"hello?")
        with pytest.raises(TimeoutError):
            sock.recv(1)


def test_tcp_stub_stops_and_restarts_on_the_same_port() -> None:
    """A stopped stub refuses connections; start() listens again on the same port."""
    stub = TcpStubServer("close").start()
    port = stub.port
    stub.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(stub.address, timeout=2)
    stub.start()
    assert stub.port == port
    socket.create_connection(stub.address, timeout=2).close()
    stub.stop()


def test_port_helpers() -> None:
    """free_port is bindable; wait_for_port waits for a listener and gives up in time."""
    port = free_port()
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        wait_for_port("127.0.0.1", port, timeout=0.2)
    assert time.monotonic() - started < 1
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", port))
        listener.listen()
        wait_for_port("127.0.0.1", port, timeout=2)
    wait_for_port_closed("127.0.0.1", port, timeout=2)
