"""The Starlette app the request, detection and herd benchmarks serve with our middleware.

Configured from the environment, so that uvicorn can import it as ``app_ours:app``:

- ``DH_BENCH_MIDDLEWARE``: ``1`` installs dephealth (``install()``: DepHealthMiddleware); ``0``
  serves the trivial route alone, the baseline;
- ``DH_BENCH_DEPS``: ``kind=address`` pairs separated by commas, every one critical:
  ``tcp=127.0.0.1:6379`` or ``redis=redis://127.0.0.1:6380/0`` (default: a TCP check of the
  local Redis);
- ``DH_BENCH_INTERVAL`` and ``DH_BENCH_TIMEOUT`` in seconds (default 15 and 5).
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route


async def trivial(request: Request) -> Response:
    return PlainTextResponse("ok")


def dependency_specs() -> list[tuple[str, str]]:
    """``(kind, address)`` pairs from ``DH_BENCH_DEPS``."""
    raw = os.environ.get("DH_BENCH_DEPS", "tcp=127.0.0.1:6379")
    return [tuple(item.split("=", 1)) for item in raw.split(",") if item]  # type: ignore[misc]


def build_app(registry: CollectorRegistry | None = None) -> Starlette:
    """The app under test, as the environment says."""
    app = Starlette(routes=[Route("/", trivial)])
    if os.environ.get("DH_BENCH_MIDDLEWARE", "1") != "1":
        return app
    from dephealth_core import DependencyHealth, redis_check, tcp_check
    from dephealth_starlette import install

    dependencies = []
    for kind, address in dependency_specs():
        if kind == "tcp":
            host, port = address.rsplit(":", 1)
            dependencies.append(tcp_check(kind, host=host, port=int(port), critical=True))
        else:
            dependencies.append(redis_check(kind, url=address, critical=True))
    engine = DependencyHealth(
        "bench",
        "bench",
        *dependencies,
        check_interval=float(os.environ.get("DH_BENCH_INTERVAL", "15")),
        timeout=float(os.environ.get("DH_BENCH_TIMEOUT", "5")),
        registry=registry if registry is not None else CollectorRegistry(),
        environ={},
    )
    install(app, engine)
    return app


app = build_app()
