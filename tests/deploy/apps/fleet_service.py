"""One small service of the shop fleet, run under uvicorn by the Prometheus end-to-end test.

Environment: ``FLEET_SERVICE`` (its name), ``FLEET_POSTGRES_DSN``, ``FLEET_REDIS_PORT`` and,
for a service that calls another, ``FLEET_CALLS`` (the callee's name) and ``FLEET_CALLS_URL``.
PostgreSQL and Redis are checked in pool mode through the pools the app opens in its own
lifespan; the callee through HTTP on its ``/readyz``. Everything is checked every second.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from dephealth_core import DependencyHealth, http_check, postgres_check, redis_check
from dephealth_starlette import DepHealthMiddleware


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.pg = await asyncpg.create_pool(
        os.environ["FLEET_POSTGRES_DSN"], min_size=1, max_size=2
    )
    app.state.redis = Redis(
        host="127.0.0.1", port=int(os.environ["FLEET_REDIS_PORT"]), socket_connect_timeout=0.5
    )
    try:
        yield
    finally:
        await app.state.redis.aclose()
        await app.state.pg.close()


async def home(request: Request) -> Response:
    return PlainTextResponse(os.environ["FLEET_SERVICE"])


checks: list[Any] = [
    postgres_check("postgres", pool=lambda: app.state.pg, critical=True),
    redis_check("redis", client=lambda: app.state.redis, critical=True),
]
if "FLEET_CALLS" in os.environ:
    checks.append(
        http_check(os.environ["FLEET_CALLS"], url=os.environ["FLEET_CALLS_URL"], critical=True)
    )

app = Starlette(routes=[Route("/", home)], lifespan=lifespan)
app.add_middleware(
    DepHealthMiddleware,
    dephealth=DependencyHealth(
        os.environ["FLEET_SERVICE"],
        "shop",
        *checks,
        check_interval=1,
        timeout=0.9,
        registry=CollectorRegistry(),
    ),
    metrics=True,
)
