"""Small real servers started inside the test process: HTTP(S) with chosen answers, black holes."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    server: _StatusServer

    def do_GET(self) -> None:
        self.server.requests.append((self.path, dict(self.headers)))
        status = self.server.routes.get(self.path.split("?")[0], 404)
        body = b"{}"
        self.send_response(status)
        if status in (301, 302):
            self.send_header("Location", "/health")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, format: str, *args: object) -> None:
        pass


class _StatusServer(ThreadingHTTPServer):
    daemon_threads = True
    routes: dict[str, int]
    requests: list[tuple[str, dict[str, str]]]


@contextmanager
def http_server(
    routes: dict[str, int], tls_context: ssl.SSLContext | None = None
) -> Iterator[_StatusServer]:
    """An HTTP server on 127.0.0.1 answering each path with the status in ``routes``."""
    server = _StatusServer(("127.0.0.1", 0), _Handler)
    server.routes = routes
    server.requests = []
    if tls_context is not None:
        server.socket = tls_context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextmanager
def black_hole() -> Iterator[int]:
    """A port that accepts connections and never answers (nothing reads or writes)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


@contextmanager
def syn_black_hole() -> Iterator[int]:
    """A port whose accept queue is full, so a new connection never completes (TCP timeout)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            try:
                filler.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            fillers.append(filler)
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def refused_port() -> int:
    """A loopback port nothing listens on."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    sock.close()
    return port
