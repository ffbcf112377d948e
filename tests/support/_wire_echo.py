"""Stubs that speak just enough of a wire protocol to echo the credentials they receive.

A driver that puts a server's error text in its exception then holds the secret: these make every
such path real. Each answers every connection, on a thread of its own, the same way.

- ``PostgresEchoServer``: asks for a clear-text password, then fails with SQLSTATE 28P01 and a
  message that quotes it.
- ``RedisEchoServer``: answers ``AUTH`` (and anything else) with ``-WRONGPASS`` quoting the
  arguments.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading

from ._stub_server import StubServer

__all__ = ["ConnectionStubServer", "PostgresEchoServer", "RedisEchoServer"]


class ConnectionStubServer(StubServer):
    """A TCP stub that runs ``handle(conn)`` for each connection, on a daemon thread of its own.

    The connection has a 5 s timeout and is closed when ``handle`` returns or the peer leaves.
    """

    def __init__(self, *, port: int = 0) -> None:
        super().__init__(port=port)
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def handle(self, conn: socket.socket) -> None:
        """Speak to one client."""
        raise NotImplementedError

    def _listen(self) -> int:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self.host, self.port))
            listener.listen(16)
        except OSError:
            listener.close()
            raise
        self._listener = listener
        self._thread = threading.Thread(
            target=self._accept, args=(listener,), name="connection-stub", daemon=True
        )
        self._thread.start()
        return int(listener.getsockname()[1])

    def _shut_down(self) -> None:
        listener, thread = self._listener, self._thread
        self._listener = self._thread = None
        if listener is not None:
            # shutdown() wakes the accept() below; close() alone would not on Linux.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        if thread is not None:
            thread.join(timeout=10)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve_one, args=(conn,), daemon=True).start()

    def _serve_one(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            with contextlib.suppress(OSError, ConnectionError):
                self.handle(conn)


def _recv_exactly(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("peer closed")
        data += chunk
    return data


class PostgresEchoServer(ConnectionStubServer):
    """A PostgreSQL look-alike that quotes the password back in its authentication error."""

    def handle(self, conn: socket.socket) -> None:
        while True:
            (length,) = struct.unpack("!i", _recv_exactly(conn, 4))
            body = _recv_exactly(conn, length - 4)
            if struct.unpack("!i", body[:4])[0] in (80877103, 80877104):  # SSL or GSS request
                conn.sendall(b"N")
                continue
            break
        conn.sendall(b"R" + struct.pack("!ii", 8, 3))  # AuthenticationCleartextPassword
        kind = _recv_exactly(conn, 1)
        (length,) = struct.unpack("!i", _recv_exactly(conn, 4))
        password = _recv_exactly(conn, length - 4).rstrip(b"\0")
        assert kind == b"p"
        fields = b"".join(
            code + text + b"\0"
            for code, text in (
                (b"S", b"FATAL"),
                (b"V", b"FATAL"),
                (b"C", b"28P01"),
                (b"M", b'password "' + password + b'" is not the one we expected'),
            )
        )
        message = fields + b"\0"
        conn.sendall(b"E" + struct.pack("!i", len(message) + 4) + message)


def _read_resp_command(conn: socket.socket, buffer: bytearray) -> list[bytes] | None:
    def line() -> bytes:
        while b"\r\n" not in buffer:
            chunk = conn.recv(4096)
            if not chunk:
                raise ConnectionError("peer closed")
            buffer.extend(chunk)
        end = buffer.index(b"\r\n")
        text = bytes(buffer[:end])
        del buffer[: end + 2]
        return text

    header = line()
    if not header.startswith(b"*"):
        return None
    parts = []
    for _ in range(int(header[1:])):
        size = int(line()[1:])
        while len(buffer) < size + 2:
            chunk = conn.recv(4096)
            if not chunk:
                raise ConnectionError("peer closed")
            buffer.extend(chunk)
        parts.append(bytes(buffer[:size]))
        del buffer[: size + 2]
    return parts


class RedisEchoServer(ConnectionStubServer):
    """A Redis look-alike that quotes every command's arguments in a ``-WRONGPASS`` error."""

    def handle(self, conn: socket.socket) -> None:
        buffer = bytearray()
        while True:
            command = _read_resp_command(conn, buffer)
            if command is None:
                return
            quoted = b" ".join(command[1:]).replace(b"\r", b"").replace(b"\n", b"")
            conn.sendall(b"-WRONGPASS no such user-password pair: " + quoted + b"\r\n")
