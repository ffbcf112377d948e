"""HTTP stubs: a threaded HTTP server whose handler class says how every request is answered.

``HttpStubServer()`` answers 200 ``ok`` on any method and path (a health endpoint that is up),
``HttpStubServer(routes={"/health": 503})`` each path with its status. ``HttpStubServer(
EchoHandler)`` answers 401 quoting the request's headers in its body, as error pages do: a client
that puts the answer in its error then holds the credentials it sent. A handler reaches its stub
as ``self.server.stub``.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple

from ._stub_server import StubServer

__all__ = ["EchoHandler", "HttpStubServer", "Request", "StatusHandler"]


class Request(NamedTuple):
    """A request the stub answered."""

    method: str
    path: str
    headers: dict[str, str]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    stub: HttpStubServer

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that reset or drop the connection are expected in these tests


class _QuietHandler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass


class StatusHandler(_QuietHandler):
    """Each path answered with its status in ``stub.routes`` (200 ``ok`` on any path without
    routes, 404 on a path not in them); 301 and 302 point to ``/health``. Keep-alive."""

    protocol_version = "HTTP/1.1"

    def _answer(self, with_body: bool) -> None:
        stub = self.server.stub
        stub.requests.append(Request(self.command, self.path, dict(self.headers.items())))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        routes = stub.routes
        status = 200 if routes is None else routes.get(self.path.split("?", 1)[0], 404)
        body = b"ok\n" if status == 200 else b""
        self.send_response(status)
        if status in (301, 302):
            self.send_header("Location", "/health")
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def do_GET(self) -> None:
        self._answer(True)

    do_POST = do_PUT = do_DELETE = do_OPTIONS = do_GET

    def do_HEAD(self) -> None:
        self._answer(False)


class EchoHandler(_QuietHandler):
    """401 with every request header (``Authorization`` too) quoted in the body.

    Not in a response header: httpcore logs response headers at DEBUG, and what a server chooses
    to send back is beyond what a client can keep out of its logs.
    """

    def do_GET(self) -> None:
        received = "; ".join(f"{name}={value}" for name, value in self.headers.items())
        body = f"denied: {received}".encode()
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Bearer error="invalid_token"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.stub.requests.append(Request(self.command, self.path, dict(self.headers)))


class HttpStubServer(StubServer):
    """A threaded HTTP server on 127.0.0.1; ``handler`` answers, ``requests`` lists what it got.

    Example:
        with HttpStubServer(routes={"/health": 503}) as upstream:
            http_check("api", url=upstream.url + "/health", critical=True)
    """

    scheme = "http"

    def __init__(
        self,
        handler: type[BaseHTTPRequestHandler] = StatusHandler,
        *,
        routes: dict[str, int] | None = None,
        port: int = 0,
    ) -> None:
        super().__init__(port=port)
        self.handler = handler
        #: Path -> status for :class:`StatusHandler`; ``None``: 200 on any path.
        self.routes = routes
        self.requests: list[Request] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:port`` (``https`` for a TLS stub)."""
        return f"{self.scheme}://{self.host}:{self.port}"

    def _make_server(self) -> _Server:
        return _Server((self.host, self.port), self.handler)

    def _listen(self) -> int:
        server = self._make_server()
        server.stub = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return int(server.server_address[1])

    def _shut_down(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=10)
