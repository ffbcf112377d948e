"""The raw ASGI app ``serve`` runs: routing, HEAD, lifespan, /metrics rendered once per version."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import httpx
from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import Metric

from dephealth_core import DependencyHealth, HealthViews, tcp_check
from dephealth_core._asgi import HealthApp
from tests.support.stubs import TcpStubServer


class CountingRegistry(CollectorRegistry):
    """A registry that counts how often it is collected, that is how often /metrics renders."""

    def __init__(self) -> None:
        super().__init__()
        self.collections = 0

    def collect(self) -> Iterable[Metric]:
        self.collections += 1
        return super().collect()


def _app(stub: TcpStubServer) -> tuple[DependencyHealth, HealthApp, CountingRegistry]:
    registry = CountingRegistry()
    engine = DependencyHealth(
        "orders",
        "shop",
        tcp_check("api", host="127.0.0.1", port=stub.port, critical=True),
        registry=registry,
        environ={},
    )
    views = HealthViews(engine, metrics=True, registry=registry)
    return engine, HealthApp(engine, views), registry


def _client(app: HealthApp) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sidecar")


async def test_metrics_render_once_per_snapshot_version(
    tcp_stub: Callable[..., TcpStubServer],
) -> None:
    """Scrapes of one snapshot version reuse one render; a new version renders once more."""
    engine, app, registry = _app(tcp_stub())
    await engine.check_now()
    async with _client(app) as client:
        first = [await client.get("/metrics") for _ in range(5)]
        assert {r.status_code for r in first} == {200}
        assert len({r.content for r in first}) == 1
        assert b'app_dependency_health{critical="yes",dependency="api"' in first[0].content
        assert app.metrics_renders == 1
        assert registry.collections == 0  # written from the snapshot, same bytes
        await engine.check_now()
        second = [await client.get("/metrics") for _ in range(3)]
        assert app.metrics_renders == 2
        assert b"app_dependency_latency_seconds_count" in second[0].content
        assert second[0].content != first[0].content  # the count moved on


async def test_without_the_cache_every_scrape_renders(
    tcp_stub: Callable[..., TcpStubServer],
) -> None:
    """``cache_metrics=False`` (a registry shared with other collectors) renders every time."""
    engine, app, registry = _app(tcp_stub())
    app.cache_metrics = False
    await engine.check_now()
    async with _client(app) as client:
        for _ in range(3):
            assert (await client.get("/metrics")).status_code == 200
    assert registry.collections == 3


async def test_routes_head_methods_and_unknown_paths(
    tcp_stub: Callable[..., TcpStubServer],
) -> None:
    """Views answer GET and HEAD (no body), 405 other methods, 404 elsewhere."""
    engine, app, _ = _app(tcp_stub())
    await engine.check_now()
    async with _client(app) as client:
        deps = await client.get("/health/dependencies")
        assert deps.json() == {"status": "healthy", "dependencies": {"api": True}}
        head = await client.head("/health/dependencies")
        assert head.status_code == 200
        assert head.content == b""
        assert (await client.post("/readyz")).status_code == 405
        missing = await client.get("/elsewhere")
        assert missing.status_code == 404
        assert missing.headers["cache-control"] == "no-store"
        ready = await client.get("/readyz", params={"verbose": "1"})
        assert ready.status_code == 503  # not started: checks not running
        assert "[+]api ok" in ready.text


async def test_swap_serves_the_new_engine(tcp_stub: Callable[..., TcpStubServer]) -> None:
    """After ``swap`` the app answers from the other engine, /metrics included."""
    engine, app, _ = _app(tcp_stub())
    await engine.check_now()
    other = DependencyHealth(
        "orders",
        "shop",
        tcp_check("other", host="127.0.0.1", port=tcp_stub().port, critical=True),
        registry=CollectorRegistry(),
        environ={},
    )
    await other.check_now()
    async with _client(app) as client:
        assert b'dependency="api"' in (await client.get("/metrics")).content
        app.swap(other, HealthViews(other, metrics=True))
        metrics = (await client.get("/metrics")).content
        assert b'dependency="other"' in metrics
        assert b'dependency="api"' not in metrics


async def test_lifespan_is_acknowledged() -> None:
    """The lifespan protocol completes (the engine's lifecycle is the server runner's)."""
    engine = DependencyHealth("orders", "shop", metrics=False, environ={})
    app = HealthApp(engine, HealthViews(engine))
    inbox = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return inbox.pop(0)

    async def send(message: Any) -> None:
        sent.append(dict(message))

    await app({"type": "lifespan"}, receive, send)
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
