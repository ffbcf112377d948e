"""A FastAPI app written the dephealth way; only the import lines name this suite.

The pools and the ``DependencyHealth`` are created in the app's lifespan and published at
``app.state.dephealth``; ``DepHealthMiddleware`` starts the checks after that startup and
stops them before the pools close. ``dependencies_router`` serves ``/health/dependencies``.

Run (local PostgreSQL on 5432 and Redis on 6379)::

    uvicorn examples.fastapi_app:app --port 8000
    curl -i localhost:8000/health/dependencies
    curl -i localhost:8000/readyz?verbose
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import asyncpg
from fastapi import FastAPI, Request
from redis.asyncio import Redis

from dephealth_core import DependencyHealth, http_check, postgres_check, redis_check
from dephealth_starlette import DepHealthMiddleware, dependencies_router

PG_URL = os.environ.get("PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
PAYMENT_URL = os.environ.get("PAYMENT_URL", "http://127.0.0.1:8081/health")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    pg_pool = await asyncpg.create_pool(PG_URL, min_size=1, max_size=5)
    redis_client = Redis.from_url(REDIS_URL)
    app.state.pg = pg_pool
    app.state.redis = redis_client
    app.state.dephealth = DependencyHealth(
        "fastapi-example",
        "examples",
        postgres_check("postgres-main", pool=pg_pool, critical=True),
        redis_check("redis-cache", client=redis_client, critical=False),
        # Not running by default: shows a failing non-critical dependency.
        http_check("payment-api", url=PAYMENT_URL, critical=False),
        check_interval=timedelta(seconds=5),
        timeout=timedelta(seconds=2),
    )
    try:
        yield
    finally:
        await pg_pool.close()
        await redis_client.aclose()


app = FastAPI(lifespan=lifespan)
app.add_middleware(DepHealthMiddleware)
app.include_router(dependencies_router)


@app.get("/")
async def root(request: Request) -> dict[str, object]:
    return {
        "service": "fastapi-example",
        "dependencies": request.app.state.dephealth.health(),
    }
