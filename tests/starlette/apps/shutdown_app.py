"""A Starlette app that logs what /readyz answers while its checks are being stopped.

Its one check is slow (0.8 s of a 1 s interval), so a check is in flight when uvicorn
delivers the lifespan shutdown. As each check ends it asks the app itself (through the whole
middleware stack) for /readyz and logs the answer; the app's own shutdown logs whether the
checks were still running. The test reads the order of these lines.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from dephealth_core import Dependency, DependencyHealth, Endpoint, Kind, Target
from dephealth_starlette import install

logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(name)s: %(message)s")
log = logging.getLogger("shutdown_app")


class SlowChecker:
    async def check(self, endpoint: Endpoint) -> None:
        log.info("probe: check started")
        try:
            await asyncio.sleep(0.8)
        finally:
            # Whether the engine lets this check finish or cancels it, ask the app itself,
            # through its whole middleware stack, what /readyz answers right now.
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://self") as client:
                answer = await client.get("/readyz?verbose")
            log.info(
                "probe: check ending while /readyz answered %d, shutdown in progress=%s",
                answer.status_code,
                "[-]shutdown in progress" in answer.text,
            )


def _make_checker(dependency: Dependency, target: Target) -> SlowChecker:
    return SlowChecker()


SLOW = Kind(type="slow", default_port=1, make_checker=_make_checker)


async def home(request: Request) -> Response:
    return PlainTextResponse("home")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    yield
    log.info("app: own shutdown ran, checks running=%s", app.state.dephealth.running)


app = Starlette(routes=[Route("/", home)], lifespan=lifespan)
install(
    app,
    DependencyHealth(
        "shutdown-demo",
        "tests",
        Dependency("slow", SLOW, critical=True, host="slow.test", interval=1, timeout=0.95),
    ),
)
