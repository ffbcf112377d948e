"""A Starlette app whose readiness follows a private Redis (port in ``DH_REDIS_PORT``).

The check runs in pool mode: it PINGs through the client the app creates in its own
lifespan (``client=lambda: app.state.redis``), resolved once that startup has run.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from dephealth_core import DependencyHealth, redis_check
from dephealth_starlette import install


async def home(request: Request) -> Response:
    return PlainTextResponse("home")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.redis = Redis(host="127.0.0.1", port=int(os.environ["DH_REDIS_PORT"]))
    try:
        yield
    finally:
        await app.state.redis.aclose()


app = Starlette(routes=[Route("/", home)], lifespan=lifespan)
install(
    app,
    DependencyHealth(
        "outage-demo",
        "tests",
        redis_check(
            "redis", client=lambda: app.state.redis, critical=True, interval=1, timeout=0.5
        ),
    ),
)
