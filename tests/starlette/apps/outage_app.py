"""A Starlette app whose readiness follows a private Redis (port in ``DH_REDIS_PORT``)."""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from dephealth_core import DependencyHealth, tcp_check
from dephealth_starlette import install


async def home(request: Request) -> Response:
    return PlainTextResponse("home")


app = Starlette(routes=[Route("/", home)])
install(
    app,
    DependencyHealth(
        "outage-demo",
        "tests",
        tcp_check(
            "redis",
            host="127.0.0.1",
            port=int(os.environ["DH_REDIS_PORT"]),
            critical=True,
            interval=1,
            timeout=0.5,
        ),
    ),
)
