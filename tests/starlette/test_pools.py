"""The adapter with the app's real pools: asyncpg and redis.asyncio created in the lifespan."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from dephealth_core import DependencyHealth, postgres_check, redis_check
from dephealth_starlette import DepHealthMiddleware, dependencies_router

from .starlette_support import client, lifespan

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def require(port: int, what: str) -> None:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{what} not reachable on 127.0.0.1:{port}")
        pytest.skip(f"{what} not reachable on 127.0.0.1:{port}: start it to run this test")


async def test_dephealth_style_fastapi_app_checks_its_own_pools(
    registry: CollectorRegistry,
) -> None:
    """The dephealth FastAPI shape with real pools: both checks pass through the app's pools,
    /readyz and /health/dependencies say so, and the pools close after the checks stopped."""
    require(5432, "PostgreSQL")
    require(6379, "Redis")
    order: list[str] = []

    @asynccontextmanager
    async def app_lifespan(app: FastAPI) -> AsyncIterator[None]:
        pg_pool = await asyncpg.create_pool(
            "postgresql://postgres@127.0.0.1:5432/test", min_size=1, max_size=2
        )
        redis_client = Redis(host="127.0.0.1", port=6379)
        app.state.dephealth = DependencyHealth(
            "orders",
            "shop",
            postgres_check("postgres-main", pool=pg_pool, critical=True),
            redis_check("redis-cache", client=redis_client, critical=False),
            registry=registry,
        )
        try:
            yield
        finally:
            order.append(f"pools closed, checks running={app.state.dephealth.running}")
            await pg_pool.close()
            await redis_client.aclose()

    app = FastAPI(lifespan=app_lifespan)
    app.add_middleware(DepHealthMiddleware)
    app.include_router(dependencies_router)

    async with lifespan(app), client(app) as http:
        details = await app.state.dephealth.check_now()
        readyz = await http.get("/readyz?verbose")
        dependencies = await http.get("/health/dependencies")
    assert {key: status.detail for key, status in details.items()} == {
        "postgres-main:127.0.0.1:5432": "ok",
        "redis-cache:127.0.0.1:6379": "ok",
    }
    assert readyz.status_code == 200, readyz.text
    assert dependencies.json() == {
        "status": "healthy",
        "dependencies": {"postgres-main": True, "redis-cache": True},
    }
    assert order == ["pools closed, checks running=False"]
