"""FastAPI: dephealth-style apps, ``dependencies_router``, and FastAPI staying optional."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

import dephealth_starlette
from dephealth_core import DependencyHealth
from dephealth_starlette import DepHealthMiddleware, dependencies_router

from .starlette_support import FakePool, Probe, client, lifespan, stub_check


def dephealth_style_app(registry: CollectorRegistry, probe: Probe, *, app_starts: bool) -> FastAPI:
    """The shape of a dephealth FastAPI app: pool and instance created in the lifespan."""

    @asynccontextmanager
    async def app_lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = FakePool()
        dh = DependencyHealth(
            "orders",
            "shop",
            stub_check("postgres-main", probe, pool=app.state.pool),
            registry=registry,
        )
        app.state.dephealth = dh
        if app_starts:
            await dh.start()
        try:
            yield
        finally:
            if app_starts:
                await dh.stop()

    app = FastAPI(lifespan=app_lifespan)
    app.add_middleware(DepHealthMiddleware)
    app.include_router(dependencies_router)

    @app.get("/orders")
    async def orders() -> dict[str, int]:
        return {"count": 0}

    return app


async def test_dephealth_style_app_works(registry: CollectorRegistry) -> None:
    """A dephealth-style app gets running checks, /health/dependencies and /readyz."""
    probe = Probe()
    app = dephealth_style_app(registry, probe, app_starts=False)
    async with lifespan(app), client(app) as http:
        dh = app.state.dephealth
        await dh.check_now()
        assert dh.running
        dependencies = await http.get("/health/dependencies")
        readyz = await http.get("/readyz")
        orders = await http.get("/orders")
    assert dependencies.status_code == 200
    assert dependencies.json() == {"status": "healthy", "dependencies": {"postgres-main": True}}
    assert readyz.status_code == 200
    assert orders.json() == {"count": 0}
    assert probe.sources == [app.state.pool]
    assert not dh.running


async def test_dephealth_style_app_that_starts_checks_itself(registry: CollectorRegistry) -> None:
    """When the app's lifespan starts and stops the instance itself, nothing is started twice."""
    probe = Probe(healthy=False)
    app = dephealth_style_app(registry, probe, app_starts=True)
    async with lifespan(app), client(app) as http:
        dh = app.state.dephealth
        await dh.check_now()
        dependencies = await http.get("/health/dependencies")
    assert dependencies.status_code == 503
    assert dependencies.json() == {"status": "degraded", "dependencies": {"postgres-main": False}}
    assert len(probe.sources) == 1
    assert not dh.running


async def test_router_alone_serves_app_state_instance(registry: CollectorRegistry) -> None:
    """dependencies_router answers from request.app.state.dephealth, HEAD included."""
    dh = DependencyHealth("orders", "shop", stub_check("db", Probe()), registry=registry)
    app = FastAPI()
    app.include_router(dependencies_router)
    app.state.dephealth = dh
    await dh.check_now()
    async with client(app) as http:
        response = await http.get("/health/dependencies")
        head = await http.head("/health/dependencies")
    assert response.status_code == 200
    assert response.json() == {"status": "healthy", "dependencies": {"db": True}}
    assert response.headers["cache-control"] == "no-store"
    assert head.status_code == 200
    assert head.content == b""


async def test_router_without_instance_answers_unknown() -> None:
    """With no app.state.dephealth the router answers 503 "unknown", as dephealth does."""
    app = FastAPI()
    app.include_router(dependencies_router)
    async with client(app) as http:
        response = await http.get("/health/dependencies")
    assert response.status_code == 503
    assert response.json() == {"status": "unknown", "dependencies": {}}


def test_fastapi_is_imported_only_for_the_router() -> None:
    """Importing dephealth_starlette does not import FastAPI; the router does."""
    code = (
        "import sys, dephealth_starlette\n"
        "assert 'fastapi' not in sys.modules, 'fastapi imported early'\n"
        "dephealth_starlette.dependencies_router\n"
        "assert 'fastapi' in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_public_surface() -> None:
    """The package exports exactly its documented names."""
    assert dephealth_starlette.__all__ == [
        "DepHealthMiddleware",
        "dependencies_router",
        "dephealth_lifespan",
        "install",
    ]
