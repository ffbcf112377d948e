"""Servers that echo the credentials they receive into their error answers.

A driver that puts a server's error text in its exception then holds the secret: these make
every such path real. Each runs on its own thread and answers every connection the same way.

- PostgreSQL: asks for a clear-text password, then fails with SQLSTATE 28P01 and a message
  that quotes it.
- Redis: answers ``AUTH`` (and anything else) with ``-WRONGPASS`` quoting the arguments.
- HTTP: answers 401 with the request's ``Authorization`` (and every header) in the body, as
  error pages do. (Not in a response header: httpcore logs response headers at DEBUG, and
  what a server chooses to send back is beyond what a client can keep out of its logs.)
- gRPC: a health service that aborts ``UNAUTHENTICATED`` quoting the call's metadata.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable, Iterator
from concurrent import futures
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _recv_exactly(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("peer closed")
        data += chunk
    return data


@contextmanager
def _tcp_server(handle: Callable[[socket.socket], None]) -> Iterator[int]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve_one(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                handle(conn)
            except (OSError, ConnectionError):
                pass

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=serve_one, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, name="echo-server", daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def _postgres_echo(conn: socket.socket) -> None:
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


@contextmanager
def postgres_echo_server() -> Iterator[int]:
    """A PostgreSQL look-alike that quotes the password back in its error; yields its port."""
    with _tcp_server(_postgres_echo) as port:
        yield port


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


def _redis_echo(conn: socket.socket) -> None:
    buffer = bytearray()
    while True:
        command = _read_resp_command(conn, buffer)
        if command is None:
            return
        quoted = b" ".join(command[1:]).replace(b"\r", b"").replace(b"\n", b"")
        conn.sendall(b"-WRONGPASS no such user-password pair: " + quoted + b"\r\n")


@contextmanager
def redis_echo_server() -> Iterator[int]:
    """A Redis look-alike that quotes every command's arguments in an error; yields its port."""
    with _tcp_server(_redis_echo) as port:
        yield port


class _EchoHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        received = "; ".join(f"{name}={value}" for name, value in self.headers.items())
        body = f"denied: {received}".encode()
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Bearer error="invalid_token"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def http_echo_server() -> Iterator[int]:
    """An HTTP server answering 401 that quotes the request's headers in its body."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextmanager
def grpc_echo_server() -> Iterator[int]:
    """A gRPC health service that aborts UNAUTHENTICATED quoting the call's metadata."""
    import grpc
    from grpc_health.v1 import health_pb2_grpc

    class Echo(health_pb2_grpc.HealthServicer):  # type: ignore[misc]
        def Check(self, request: object, context: grpc.ServicerContext) -> None:
            quoted = ", ".join(f"{k}={v}" for k, v in context.invocation_metadata())
            context.abort(grpc.StatusCode.UNAUTHENTICATED, f"rejected {quoted}")

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    health_pb2_grpc.add_HealthServicer_to_server(Echo(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield port
    finally:
        server.stop(None).wait(5)
