"""The HTTP and gRPC stubs of dephealth's conformance suite, rebuilt in Python for loopback.

They behave as ``conformance/stubs/http-stub`` and ``grpc-stub`` do (BigKAA/topologymetrics):
the HTTP stub's ``GET /health`` checks the Host routing first, then the auth mode (401 without
credentials, 403 with wrong ones), then waits the configured delay and answers 200; the gRPC
stub's interceptor answers UNIMPLEMENTED when the ``:authority`` is not the required one, then
UNAUTHENTICATED / PERMISSION_DENIED for a missing / wrong bearer token. The admin API of the Go
stubs (``PUT /admin/auth/bearer``...) becomes methods, called by the test in place of its
``http_request`` actions.
"""

from __future__ import annotations

import base64
import threading
from concurrent import futures
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

import grpc
from grpc_health.v1 import health_pb2

from tests.support.stubs import HttpStubServer, StubServer


@dataclass(frozen=True)
class _HttpAuth:
    mode: str = "none"  # none | bearer | basic | header
    expected: str = ""  # the token, the base64 of user:password, or the header value
    header: str = ""


class _ConformanceHandler(BaseHTTPRequestHandler):
    server: Any  # the HttpStubServer's, with ``.stub``

    def do_GET(self) -> None:
        stub: HttpStub = self.server.stub
        if self.path.split("?", 1)[0] != stub.health_path:
            self._answer(404, b'{"error":"not found"}')
            return
        code = stub._verdict(dict(self.headers.items()))
        if code == 200:
            stub._wait_delay()
            self._answer(200, b'{"status":"healthy"}')
        else:
            self._answer(code, b'{"error":"rejected","code":%d}' % code)

    def _answer(self, code: int, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class HttpStub(HttpStubServer):
    """The conformance HTTP stub on 127.0.0.1, in a thread; it answers on ``health_path``."""

    def __init__(self, health_path: str = "/health") -> None:
        super().__init__(_ConformanceHandler)
        self.health_path = health_path
        self._lock = threading.Lock()
        self._auth = _HttpAuth()
        self._required_host: str | None = None
        self._delay = 0.0
        self._delay_released = threading.Event()
        #: Health requests that reached the verdict.
        self.checks = 0

    def _shut_down(self) -> None:
        self._delay_released.set()
        super()._shut_down()

    # -- the admin API of the Go stub --------------------------------------------------------

    def require_bearer(self, token: str) -> None:
        with self._lock:
            self._auth = _HttpAuth("bearer", token)

    def require_basic(self, username: str, password: str) -> None:
        encoded = base64.b64encode(f"{username}:{password}".encode()).decode()
        with self._lock:
            self._auth = _HttpAuth("basic", encoded)

    def require_header(self, name: str, value: str) -> None:
        with self._lock:
            self._auth = _HttpAuth("header", value, name)

    def clear_auth(self) -> None:
        with self._lock:
            self._auth = _HttpAuth()

    def route_host(self, host: str) -> None:
        with self._lock:
            self._required_host = host

    def clear_routing(self) -> None:
        with self._lock:
            self._required_host = None

    def set_delay(self, seconds: float) -> None:
        with self._lock:
            self._delay = seconds
            if seconds:
                self._delay_released.clear()
            else:
                self._delay_released.set()

    # -- behaviour ------------------------------------------------------------------------

    def _verdict(self, headers: dict[str, str]) -> int:
        lowered = {k.lower(): v for k, v in headers.items()}
        with self._lock:
            self.checks += 1
            auth, required_host = self._auth, self._required_host
        if required_host is not None:
            host = lowered.get("host", "").rsplit(":", 1)[0]
            if host.lower() != required_host.lower():
                return 404
        if auth.mode in ("bearer", "basic"):
            value = lowered.get("authorization", "")
            scheme = "Bearer " if auth.mode == "bearer" else "Basic "
            if not value:
                return 401
            if not value.startswith(scheme) or value[len(scheme) :] != auth.expected:
                return 403
        elif auth.mode == "header":
            value = lowered.get(auth.header.lower(), "")
            if not value:
                return 401
            if value != auth.expected:
                return 403
        return 200

    def _wait_delay(self) -> None:
        with self._lock:
            delay = self._delay
        if delay:
            # An event, not a sleep: clearing the delay (or closing) lets held requests go.
            self._delay_released.wait(delay)


_HEALTH_CHECK = "/grpc.health.v1.Health/Check"


class GrpcStub(StubServer):
    """The conformance gRPC stub on 127.0.0.1: the health service behind its interceptor."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._token: str | None = None
        self._required_authority: str | None = None
        self.authorities: list[str] = []
        self._server: Any = None

    def _listen(self) -> int:
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        # A generic handler, not the generated add_HealthServicer_to_server: grpcio serves
        # registered methods without the call's host, and the authority is what routing reads
        # (grpcio has no public accessor for it: grpc/grpc#38906).
        self._server.add_generic_rpc_handlers((_HealthHandler(self),))
        port = int(self._server.add_insecure_port(f"{self.host}:{self.port}"))
        self._server.start()
        return port

    def _shut_down(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.stop(grace=None)

    def require_bearer(self, token: str) -> None:
        with self._lock:
            self._token = token

    def clear_auth(self) -> None:
        with self._lock:
            self._token = None

    def route_authority(self, authority: str) -> None:
        with self._lock:
            self._required_authority = authority

    def clear_routing(self) -> None:
        with self._lock:
            self._required_authority = None

    def _check(self, request: health_pb2.HealthCheckRequest, context: Any) -> Any:
        authority = context._rpc_event.call_details.host.decode()
        metadata = dict(context.invocation_metadata())
        with self._lock:
            self.authorities.append(authority)
            token, required = self._token, self._required_authority
        if required is not None and authority.lower() != required.lower():
            context.abort(grpc.StatusCode.UNIMPLEMENTED, "authority mismatch")
        if token is not None:
            value = metadata.get("authorization")
            if value is None:
                context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing authorization metadata")
            if not value.startswith("Bearer ") or value[len("Bearer ") :] != token:
                context.abort(grpc.StatusCode.PERMISSION_DENIED, "invalid token")
        return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)


class _HealthHandler(grpc.GenericRpcHandler):
    def __init__(self, stub: GrpcStub) -> None:
        self._stub = stub

    def service(self, handler_call_details: Any) -> Any:
        if handler_call_details.method != _HEALTH_CHECK:
            return None
        return grpc.unary_unary_rpc_method_handler(
            self._stub._check,
            request_deserializer=health_pb2.HealthCheckRequest.FromString,
            response_serializer=health_pb2.HealthCheckResponse.SerializeToString,
        )
