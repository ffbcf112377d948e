"""A Starlette app whose pools are checked in place: asyncpg and redis.asyncio.

The pools are created in the app's own lifespan; the checks are declared at import time with
``pool=lambda: app.state.pg`` and resolved once that startup has run.

Run (local PostgreSQL on 5432 and Redis on 6379)::

    uvicorn examples.starlette_app:app --port 8000
    curl -i localhost:8000/readyz?verbose
    curl localhost:8000/health/dependencies
    curl localhost:8000/metrics
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dephealth_core import DependencyHealth, postgres_check, redis_check
from dephealth_starlette import install

PG_URL = os.environ.get("PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.pg = await asyncpg.create_pool(PG_URL, min_size=1, max_size=5)
    app.state.redis = Redis.from_url(REDIS_URL)
    try:
        yield
    finally:  # runs after the checks have stopped
        await app.state.pg.close()
        await app.state.redis.aclose()


async def visits(request: Request) -> Response:
    count = await request.app.state.redis.incr("examples:visits")
    now = await request.app.state.pg.fetchval("SELECT now()")
    return JSONResponse({"visits": count, "database_time": now.isoformat()})


app = Starlette(routes=[Route("/", visits)], lifespan=lifespan)

install(
    app,
    DependencyHealth(
        "starlette-example",
        "examples",
        postgres_check("postgres-main", pool=lambda: app.state.pg, critical=True),
        redis_check("redis-cache", client=lambda: app.state.redis, critical=False),
        check_interval=5,
        timeout=2,
    ),
    metrics=True,
)
