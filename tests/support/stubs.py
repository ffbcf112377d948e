"""In-process stub servers, one family with one life cycle (``StubServer``).

- ``TcpStubServer("close" | "echo" | "hold")``: raw TCP that accepts then closes, echoes, or holds.
- ``HttpStubServer()``: HTTP, 200 ``ok`` on any path; ``routes={"/health": 503}`` gives each
  path its status (``StatusHandler``); ``HttpStubServer(EchoHandler)`` answers 401 quoting the
  request's headers; any ``BaseHTTPRequestHandler`` class of yours works. ``.url``, and
  ``.requests``: every ``Request(method, path, headers)`` answered.
- ``HttpsServer(kind, routes=None)``: the HTTP stub over TLS, a certificate of that kind (``tls``).
- ``GrpcStubServer()``: the gRPC health service, SERVING; ``GrpcStubServer("echo")`` aborts
  UNAUTHENTICATED quoting the call's metadata.
- ``PostgresEchoServer``, ``RedisEchoServer``: just enough of the protocol to fail authentication
  quoting the password (arguments) received.
- ``ConnectionStubServer``: raw TCP running its ``handle(conn)`` for each connection.

Each listens on 127.0.0.1 and serves from daemon threads of the test process: ``start()``
(``port=0`` picks a free port at the first start), ``stop()`` (returns once the port refuses),
``restart()`` and ``with stub.stopped():`` on the same port, ``close()``, ``with Stub() as
stub:``, ``.host``, ``.port``, ``.address``, ``.running``.
"""

from __future__ import annotations

from ._grpc_stub import GrpcBehaviour, GrpcStubServer
from ._http_stub import EchoHandler, HttpStubServer, Request, StatusHandler
from ._stub_server import StubServer
from ._tcp_stub import StubBehaviour, TcpStubServer
from ._wire_echo import ConnectionStubServer, PostgresEchoServer, RedisEchoServer
from .tls import HttpsServer

__all__ = [
    "ConnectionStubServer",
    "EchoHandler",
    "GrpcBehaviour",
    "GrpcStubServer",
    "HttpStubServer",
    "HttpsServer",
    "PostgresEchoServer",
    "RedisEchoServer",
    "Request",
    "StatusHandler",
    "StubBehaviour",
    "StubServer",
    "TcpStubServer",
]
