"""The stub servers share one life cycle and answer as documented."""

from __future__ import annotations

import socket
import struct

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.support.stubs import (
    EchoHandler,
    GrpcStubServer,
    HttpStubServer,
    PostgresEchoServer,
    RedisEchoServer,
    StubServer,
    TcpStubServer,
)
from tests.support.tls import HttpsServer

STUBS = [
    lambda: TcpStubServer("close"),
    HttpStubServer,
    HttpsServer,
    GrpcStubServer,
    PostgresEchoServer,
    RedisEchoServer,
]


@pytest.mark.parametrize("make", STUBS, ids=lambda make: getattr(make, "__name__", "TcpStubServer"))
def test_every_stub_stops_and_listens_again_on_the_same_port(make: type[StubServer]) -> None:
    """stop() refuses connections at once; start() and stopped() listen on the same port again."""
    stub = make()
    with stub:
        port = stub.port
        assert port != 0 and stub.running
        with stub.stopped():
            assert not stub.running
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection(stub.address, timeout=2)
        assert stub.port == port
        socket.create_connection(stub.address, timeout=2).close()
        stub.restart()
        assert stub.port == port
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(stub.address, timeout=2)


def test_http_stub_answers_ok_or_the_routes_status_and_lists_requests() -> None:
    """200 ``ok`` on any path and method; with routes, each path's status, 404 for others."""
    with HttpStubServer() as stub:
        assert httpx.get(stub.url + "/health").text == "ok\n"
        assert httpx.post(stub.url + "/any", content=b"body").status_code == 200
        assert [(r.method, r.path) for r in stub.requests] == [("GET", "/health"), ("POST", "/any")]
    with HttpStubServer(routes={"/health": 503, "/old": 302}) as stub:
        assert httpx.get(stub.url + "/health?x").status_code == 503
        assert httpx.get(stub.url + "/nothing").status_code == 404
        assert httpx.get(stub.url + "/old", follow_redirects=True).status_code == 503


def test_http_echo_quotes_the_request_headers() -> None:
    """EchoHandler answers 401 with the Authorization header quoted in the body."""
    with HttpStubServer(EchoHandler) as stub:
        answer = httpx.get(stub.url, headers={"Authorization": "Bearer s3cret"})
    assert answer.status_code == 401
    assert "Bearer s3cret" in answer.text


def _grpc_check(port: int, metadata: tuple[tuple[str, str], ...] = ()) -> int:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        request = health_pb2.HealthCheckRequest()
        answer = health_pb2_grpc.HealthStub(channel).Check(request, timeout=5, metadata=metadata)
        return int(answer.status)


def test_grpc_stub_serves_and_echo_quotes_the_metadata() -> None:
    """The health service is SERVING; the echo one aborts UNAUTHENTICATED quoting the metadata."""
    with GrpcStubServer() as stub:
        assert _grpc_check(stub.port) == health_pb2.HealthCheckResponse.SERVING
    with GrpcStubServer("echo") as stub, pytest.raises(grpc.RpcError) as caught:
        _grpc_check(stub.port, (("authorization", "Bearer s3cret"),))
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "Bearer s3cret" in str(caught.value.details())
    assert stub.checks == 1


def test_redis_echo_quotes_the_password() -> None:
    """AUTH gets -WRONGPASS with its arguments quoted."""
    with RedisEchoServer() as stub, socket.create_connection(stub.address, timeout=5) as sock:
        sock.sendall(b"*2\r\n$4\r\nAUTH\r\n$6\r\ns3cret\r\n")
        reply = sock.recv(4096)
    assert reply.startswith(b"-WRONGPASS")
    assert b"s3cret" in reply


def test_postgres_echo_quotes_the_password() -> None:
    """After a clear-text password, the error message (28P01) quotes it."""
    with PostgresEchoServer() as stub, socket.create_connection(stub.address, timeout=5) as sock:
        params = b"user\0u\0\0"
        sock.sendall(struct.pack("!ii", 8 + len(params), 196608) + params)
        assert sock.recv(9)[:1] == b"R"
        password = b"s3cret\0"
        sock.sendall(b"p" + struct.pack("!i", 4 + len(password)) + password)
        error = b""
        while b"28P01" not in error or b"s3cret" not in error:
            chunk = sock.recv(4096)
            assert chunk, error
            error += chunk
