"""dephealth 0.8.2's FastAPI integration, as its README sets it up, for the same benchmarks.

Runs under the Python of ``bench/.venv-peers`` (``uvicorn app_dephealth:app``). The same
environment as ``app_ours.py``: ``DH_BENCH_MIDDLEWARE`` (``1``: ``dephealth_lifespan``,
``dependencies_router`` at ``/health/dependencies`` and ``DepHealthMiddleware``; ``0``: the
trivial route alone), ``DH_BENCH_DEPS``, ``DH_BENCH_INTERVAL``, ``DH_BENCH_TIMEOUT`` (dephealth
accepts no timeout under 1 s: a smaller one is raised to 1 s).
"""

from __future__ import annotations

import os
from datetime import timedelta

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse


def build_app() -> FastAPI:
    if os.environ.get("DH_BENCH_MIDDLEWARE", "1") != "1":
        app = FastAPI()
    else:
        from dephealth.api import redis_check, tcp_check
        from dephealth_fastapi import DepHealthMiddleware, dependencies_router, dephealth_lifespan

        interval = timedelta(seconds=float(os.environ.get("DH_BENCH_INTERVAL", "15")))
        timeout = timedelta(seconds=max(1.0, float(os.environ.get("DH_BENCH_TIMEOUT", "5"))))
        specs = []
        raw = os.environ.get("DH_BENCH_DEPS", "tcp=127.0.0.1:6379")
        for item in filter(None, raw.split(",")):
            kind, address = item.split("=", 1)
            if kind == "tcp":
                host, port = address.rsplit(":", 1)
                specs.append(
                    tcp_check(
                        kind,
                        host=host,
                        port=port,
                        critical=True,
                        interval=interval,
                        timeout=timeout,
                    )
                )
            else:
                specs.append(
                    redis_check(
                        kind, url=address, critical=True, interval=interval, timeout=timeout
                    )
                )
        app = FastAPI(
            lifespan=dephealth_lifespan(
                "bench", "bench", *specs, check_interval=interval, timeout=timeout
            )
        )
        app.include_router(dependencies_router)
        app.add_middleware(DepHealthMiddleware)

    @app.get("/", response_class=PlainTextResponse)
    async def trivial() -> str:
        return "ok"

    return app


app = build_app()
