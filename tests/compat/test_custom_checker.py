"""A custom checker written for dephealth runs unchanged on ours.

``PortChecker`` is what dephealth's ``HealthChecker`` protocol asks for: ``async check(endpoint)``
that reads ``endpoint.host``/``port``/``labels`` and raises dephealth's ``CheckError`` subclasses,
and ``checker_type()``. It goes in through dephealth's ``add_endpoint`` family (async and
``_sync``) and through ``custom_check``, our factory that declares it at construction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry

from dephealth_core import (
    CheckAuthError,
    CheckConnectionRefusedError,
    DependencyHealth,
    DependencyType,
    Endpoint,
    EndpointNotFoundError,
    UnhealthyError,
    custom_check,
    tcp_check,
)
from tests.compat.serving import wait_until
from tests.support.ports import free_port
from tests.support.stubs import TcpStubServer


class PortChecker:
    """A dephealth custom checker, as its users write them."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.seen: list[tuple[str, str, dict[str, str]]] = []

    async def check(self, endpoint: Endpoint) -> None:
        self.seen.append((endpoint.host, endpoint.port, dict(endpoint.labels)))
        try:
            _, writer = await asyncio.open_connection(endpoint.host, int(endpoint.port))
        except ConnectionRefusedError as exc:
            raise CheckConnectionRefusedError(f"{endpoint.host}:{endpoint.port}") from exc
        writer.close()
        await writer.wait_closed()
        if self.mode == "auth":
            raise CheckAuthError("rejected")
        if self.mode == "degraded":
            raise UnhealthyError("degraded", detail="unhealthy")

    def checker_type(self) -> str:
        return "tcp"


@pytest.fixture
def server() -> Iterator[TcpStubServer]:
    stub = TcpStubServer("close").start()
    yield stub
    stub.stop()


def status_of(registry: CollectorRegistry, dependency: str, port: int | str) -> str | None:
    """The active app_dependency_status of one endpoint, or None when it is not exported."""
    for metric in registry.collect():
        if metric.name != "app_dependency_status":
            continue
        for sample in metric.samples:
            labels = sample.labels
            if (labels["dependency"], labels["port"]) == (dependency, str(port)) and sample.value:
                return labels["status"]
    return None


async def wait_status(
    registry: CollectorRegistry, dependency: str, port: int | str, want: str
) -> None:
    end = asyncio.get_running_loop().time() + 60
    while status_of(registry, dependency, port) != want:
        if asyncio.get_running_loop().time() > end:
            pytest.fail(
                f"{dependency}:{port} never reached {want}: {status_of(registry, dependency, port)}"
            )
        await asyncio.sleep(0.05)


def make_health(server: TcpStubServer, registry: CollectorRegistry) -> DependencyHealth:
    return DependencyHealth(
        "compat-service",
        "compat",
        tcp_check(
            "static", host=server.host, port=server.port, critical=False, labels={"zone": "b"}
        ),
        check_interval=2,
        timeout=1,
        registry=registry,
    )


async def test_add_update_remove_endpoint_with_a_dephealth_checker(server: TcpStubServer) -> None:
    """dephealth's dynamic-endpoint calls, with its Endpoint and a checker of its protocol."""
    registry = CollectorRegistry()
    dh = make_health(server, registry)
    checker = PortChecker()
    with pytest.raises(RuntimeError):
        await dh.add_endpoint(
            "custom", DependencyType.TCP, True, Endpoint(server.host, str(server.port)), checker
        )
    await dh.start()
    try:
        endpoint = Endpoint(server.host, str(server.port), {"zone": "a"})
        await dh.add_endpoint("custom", DependencyType.TCP, True, endpoint, checker)
        await dh.add_endpoint("custom", DependencyType.TCP, True, endpoint, checker)  # idempotent
        await wait_status(registry, "custom", server.port, "ok")
        assert (server.host, str(server.port), {"zone": "a"}) in checker.seen
        details = dh.health_details()[f"custom:{server.host}:{server.port}"]
        assert (details.type, details.critical, dict(details.labels)) == (
            "tcp",
            True,
            {"zone": "a"},
        )

        checker.mode = "auth"
        await wait_status(registry, "custom", server.port, "auth_error")
        checker.mode = "degraded"
        await wait_status(registry, "custom", server.port, "unhealthy")

        refused = free_port()
        await dh.update_endpoint(
            "custom", server.host, str(server.port), Endpoint(server.host, str(refused)), checker
        )
        await wait_status(registry, "custom", refused, "connection_error")
        assert status_of(registry, "custom", server.port) is None
        with pytest.raises(EndpointNotFoundError):
            await dh.update_endpoint("custom", "nowhere", "1", Endpoint("h", "2"), checker)

        await dh.remove_endpoint("custom", server.host, str(refused))
        await dh.remove_endpoint("custom", server.host, str(refused))  # idempotent
        assert status_of(registry, "custom", refused) is None
        assert not any(key.startswith("custom:") for key in dh.health_details())
        with pytest.raises(ValueError):
            await dh.add_endpoint("custom", DependencyType.TCP, True, Endpoint("", "1"), checker)
        with pytest.raises(ValueError):
            await dh.add_endpoint("custom", "nosuchtype", True, Endpoint("h", "1"), checker)  # type: ignore[arg-type]
    finally:
        await dh.stop()


def test_sync_variants_in_threading_mode(server: TcpStubServer) -> None:
    """The threading mode: ``start_sync`` and the ``*_endpoint_sync`` calls."""
    registry = CollectorRegistry()
    dh = make_health(server, registry)
    checker = PortChecker()
    dh.start_sync()
    try:
        dh.add_endpoint_sync(
            "custom", DependencyType.TCP, False, Endpoint(server.host, str(server.port)), checker
        )
        wait_until(lambda: status_of(registry, "custom", server.port) == "ok", "custom ok", 60)
        refused = free_port()
        dh.update_endpoint_sync(
            "custom", server.host, str(server.port), Endpoint(server.host, str(refused)), checker
        )
        wait_until(
            lambda: status_of(registry, "custom", refused) == "connection_error",
            "custom refused",
            60,
        )
        dh.remove_endpoint_sync("custom", server.host, str(refused))
        assert status_of(registry, "custom", refused) is None
        assert dh.health()["static"] is True
    finally:
        dh.stop_sync()


async def test_custom_check_declares_a_checker_at_construction(server: TcpStubServer) -> None:
    """``custom_check(name, checker=..., host=, port=, critical=)``: like any other dependency,
    with its type from ``checker_type()``, labels and per-dependency interval."""
    registry = CollectorRegistry()
    checker = PortChecker()
    dh = DependencyHealth(
        "compat-service",
        "compat",
        custom_check(
            "legacy-api",
            checker=checker,
            host=server.host,
            port=server.port,
            critical=True,
            labels={"zone": "c"},
            interval=2,
            timeout=1,
        ),
        registry=registry,
    )
    await dh.start()
    try:
        await wait_status(registry, "legacy-api", server.port, "ok")
        assert dh.health() == {"legacy-api": True}
        details = dh.health_details()[f"legacy-api:{server.host}:{server.port}"]
        assert (details.type, details.critical, dict(details.labels)) == (
            "tcp",
            True,
            {"zone": "c"},
        )
        assert checker.seen[0] == (server.host, str(server.port), {"zone": "c"})
        checker.mode = "auth"
        await wait_status(registry, "legacy-api", server.port, "auth_error")
    finally:
        await dh.stop()


def test_custom_check_refuses_what_is_not_a_checker() -> None:
    """A checker without ``check`` is a ConfigError naming the dependency and the field."""
    from dephealth_core import ConfigError

    with pytest.raises(ConfigError) as caught:
        custom_check("legacy-api", checker=object(), host="h", port=1, critical=True)
    assert (caught.value.dependency, caught.value.field) == ("legacy-api", "checker")
