# Port of sdk-python/docs/fastapi.md (BigKAA/topologymetrics, tag sdk-python/v0.8.2, Apache
# License 2.0): its "Quick Start" app, with the route of its "Custom Health Endpoint" section in
# place of ``include_router(dependencies_router)`` ("if dependencies_router does not meet your
# needs, create a custom endpoint"). Changed: the dephealth imports and, to run on loopback, the
# addresses (DATABASE_URL, PAYMENT_URL), read from the environment.
# ruff: noqa
# fmt: off
import os

from fastapi import FastAPI
from dephealth_core import http_check, postgres_check
from dephealth_starlette import dephealth_lifespan, DepHealthMiddleware, dependencies_router

app = FastAPI(
    lifespan=dephealth_lifespan("my-service", "my-team",
        postgres_check("postgres-main",
            url=os.environ["DATABASE_URL"],
            critical=True,
        ),
        http_check("payment-api",
            url=os.environ["PAYMENT_URL"],
            critical=True,
        ),
    )
)

# Prometheus metrics at /metrics
app.add_middleware(DepHealthMiddleware)

# --- "Custom Health Endpoint", in place of app.include_router(dependencies_router) ---

from fastapi import FastAPI, Request, Response
import json

@app.get("/health/dependencies")
async def health_dependencies(request: Request):
    dh = request.app.state.dephealth
    health = dh.health()
    all_healthy = all(health.values())

    return Response(
        content=json.dumps({
            "status": "healthy" if all_healthy else "unhealthy",
            "dependencies": health,
        }),
        media_type="application/json",
        status_code=200 if all_healthy else 503,
    )
