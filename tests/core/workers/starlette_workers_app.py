"""A Starlette app for the worker-sharing tests under ``uvicorn --workers`` and gunicorn.

``TEST_TCP_PORT``: a standalone TCP dependency (critical), checked every second.
``/test-leader`` says whether the serving worker runs the shared checks; every answer carries
``X-Worker-Pid``.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from dephealth_core import DependencyHealth, tcp_check
from dephealth_starlette import install

engine = DependencyHealth(
    "workers-asgi",
    "tests",
    tcp_check("tcp-shared", host="127.0.0.1", port=int(os.environ["TEST_TCP_PORT"]), critical=True),
    check_interval=1,
    timeout=0.5,
    registry=CollectorRegistry(),
)


async def leader(request: Request) -> JSONResponse:
    return JSONResponse({"leader": engine.worker_role == "leader"})


inner = Starlette(routes=[Route("/test-leader", leader)])
install(inner, engine, metrics=True)
PID = str(os.getpid()).encode()


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    async def tagged(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), (b"x-worker-pid", PID)]
        await send(message)

    await inner(scope, receive, tagged if scope["type"] == "http" else send)
