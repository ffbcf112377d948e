"""gRPC checks against a real in-process grpc.aio server with the standard health service."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from prometheus_client import CollectorRegistry

from dephealth_core import DependencyHealth, EndpointStatus, grpc_check

from .servers import black_hole, refused_port


class _RequireToken(grpc.aio.ServerInterceptor):
    async def intercept_service(self, continuation, handler_call_details):  # type: ignore[no-untyped-def]
        metadata = dict(handler_call_details.invocation_metadata or ())
        if metadata.get("authorization") == "Bearer good":
            return await continuation(handler_call_details)

        async def deny(request, context):  # type: ignore[no-untyped-def]
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "no")

        return grpc.unary_unary_rpc_method_handler(deny)


@pytest.fixture
async def health_server() -> AsyncIterator[tuple[int, health.HealthServicer]]:
    server = grpc.aio.server()
    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    servicer.set("orders", health_pb2.HealthCheckResponse.SERVING)
    servicer.set("billing", health_pb2.HealthCheckResponse.NOT_SERVING)
    yield port, servicer
    await server.stop(None)


async def check_once(dependency: object, timeout: float = 3.0) -> EndpointStatus:
    dh = DependencyHealth(
        "svc",
        "team",
        dependency,  # type: ignore[arg-type]
        check_interval=10,
        timeout=timeout,
        environ={},
        registry=CollectorRegistry(),
    )
    details = await dh.check_now()
    (status,) = details.values()
    return status


@pytest.mark.parametrize(
    ("service", "status", "detail"),
    [
        ("", "ok", "ok"),
        ("orders", "ok", "ok"),
        ("billing", "unhealthy", "grpc_not_serving"),
        ("no-such-service", "unhealthy", "grpc_unknown"),
    ],
)
async def test_serving_states(
    health_server: tuple[int, object], service: str, status: str, detail: str
) -> None:
    """SERVING is ok; NOT_SERVING and an unknown service name are unhealthy with their detail."""
    port, _ = health_server
    result = await check_once(
        grpc_check("auth", url=f"grpc://127.0.0.1:{port}", service_name=service, critical=True)
    )
    assert (result.status, result.detail) == (status, detail)


async def test_refused() -> None:
    """Nothing listening is connection_refused."""
    result = await check_once(
        grpc_check("auth", host="127.0.0.1", port=refused_port(), critical=True)
    )
    assert (result.status, result.detail) == ("connection_error", "connection_refused")


async def test_unresolvable_name() -> None:
    """A name under .invalid is dns_error."""
    result = await check_once(grpc_check("auth", host="auth.invalid", port=50051, critical=True))
    assert result.status == "dns_error"


async def test_server_that_never_answers_is_timeout() -> None:
    """A port that accepts but never speaks HTTP/2 times out."""
    with black_hole() as port:
        result = await check_once(
            grpc_check("auth", host="127.0.0.1", port=port, critical=True), timeout=0.3
        )
    assert (result.status, result.detail) == ("timeout", "timeout")


async def test_bearer_token_and_unauthenticated() -> None:
    """UNAUTHENTICATED is auth_error; the right bearer token passes."""
    server = grpc.aio.server(interceptors=[_RequireToken()])
    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        bad = await check_once(
            grpc_check("auth", host="127.0.0.1", port=port, bearer_token="bad", critical=True)
        )
        good = await check_once(
            grpc_check("auth", host="127.0.0.1", port=port, bearer_token="good", critical=True)
        )
    finally:
        await server.stop(None)
    assert (bad.status, bad.detail) == ("auth_error", "auth_error")
    assert good.detail == "ok"


async def test_status_change_is_seen(health_server: tuple[int, health.HealthServicer]) -> None:
    """A service switched to NOT_SERVING turns unhealthy on the next check."""
    port, servicer = health_server
    dh = DependencyHealth(
        "svc",
        "team",
        grpc_check("auth", host="127.0.0.1", port=port, service_name="orders", critical=True),
        check_interval=10,
        timeout=1,
        environ={},
        registry=CollectorRegistry(),
    )
    await dh.check_now()
    servicer.set("orders", health_pb2.HealthCheckResponse.NOT_SERVING)
    await dh.check_now()
    assert dh.health() == {"auth": False}
