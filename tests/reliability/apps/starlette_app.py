"""A Starlette app whose dependencies come from ``DEPHEALTH_*`` variables (run by uvicorn).

Every health view is on, details included, and ``/metrics``. ``/`` is a trivial route.
``REL_LOG_LEVEL`` sets the root logger's level (stderr).
"""

from __future__ import annotations

import logging
import os
import sys

from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from dephealth_core import DependencyHealth
from dephealth_starlette import install

logging.basicConfig(
    stream=sys.stderr,
    level=os.environ.get("REL_LOG_LEVEL", "INFO"),
    format="%(name)s %(levelname)s %(message)s",
)


async def home(request: Request) -> Response:
    return PlainTextResponse("home")


app = Starlette(routes=[Route("/", home)])
install(
    app,
    DependencyHealth(registry=CollectorRegistry()),
    show_details="always",
    metrics=True,
)
