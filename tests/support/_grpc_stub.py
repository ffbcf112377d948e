"""gRPC stubs: a grpcio server with the standard health service, or one that echoes metadata.

``GrpcStubServer()`` answers ``grpc.health.v1.Health/Check`` with SERVING; ``GrpcStubServer(
"echo")`` aborts every check UNAUTHENTICATED quoting the call's metadata, so a client that puts
the server's message in its error then holds the credentials it sent. grpcio is imported at the
first start: importing this module costs nothing.
"""

from __future__ import annotations

from concurrent import futures
from typing import Any, Literal

from ._stub_server import StubServer

__all__ = ["GrpcBehaviour", "GrpcStubServer"]

GrpcBehaviour = Literal["serving", "echo"]


class GrpcStubServer(StubServer):
    """A grpcio server on 127.0.0.1 with the health service; ``checks`` counts the calls.

    Example:
        with GrpcStubServer() as upstream:
            grpc_check("api", host=upstream.host, port=upstream.port, critical=True)
    """

    def __init__(self, behaviour: GrpcBehaviour = "serving", *, port: int = 0) -> None:
        if behaviour not in ("serving", "echo"):
            raise ValueError(f"unknown behaviour {behaviour!r}")
        super().__init__(port=port)
        self.behaviour: GrpcBehaviour = behaviour
        self.checks = 0
        self._server: Any = None

    def _listen(self) -> int:
        import grpc
        from grpc_health.v1 import health, health_pb2, health_pb2_grpc

        stub = self

        class Health(health.HealthServicer):  # type: ignore[misc]
            def Check(self, request: Any, context: grpc.ServicerContext) -> Any:
                stub.checks += 1
                if stub.behaviour == "echo":
                    quoted = ", ".join(f"{k}={v}" for k, v in context.invocation_metadata())
                    context.abort(grpc.StatusCode.UNAUTHENTICATED, f"rejected {quoted}")
                return super().Check(request, context)

        server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        servicer = Health()
        servicer.set("", health_pb2.HealthCheckResponse.SERVING)
        health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
        port = int(server.add_insecure_port(f"{self.host}:{self.port}"))
        server.start()
        self._server = server
        return port

    def _shut_down(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.stop(None).wait(5)
