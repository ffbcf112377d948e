# Port of sdk-python/docs/examples/basic-fastapi/main.py from BigKAA/topologymetrics (tag sdk-python/v0.8.2,
# Apache License 2.0). Changed: the dephealth imports (dephealth.api, dephealth_fastapi) and, so that it runs on
# loopback, the addresses (PAYMENT_URL), read from the environment.
# ruff: noqa
# fmt: off
# Example: basic FastAPI application with dephealth monitoring.
# Monitors an HTTP dependency and exposes Prometheus metrics.
#
# Install:
#   pip install dephealth[fastapi]
#
# Run:
#   uvicorn main:app --host 0.0.0.0 --port 8080

import os

from fastapi import FastAPI

from dephealth_core import http_check
from dephealth_starlette import DepHealthMiddleware, dependencies_router, dephealth_lifespan

# Create FastAPI app with dephealth lifespan.
# DependencyHealth starts on startup and stops on shutdown automatically.
app = FastAPI(
    title="Basic dephealth example",
    lifespan=dephealth_lifespan(
        "my-service",
        "backend",
        http_check(
            "payment-api",
            url=os.environ["PAYMENT_URL"],
            critical=True,
        ),
    ),
)

# Expose Prometheus metrics on GET /metrics.
app.add_middleware(DepHealthMiddleware)

# Expose JSON health status on GET /health/dependencies.
app.include_router(dependencies_router)


@app.get("/")
async def root() -> dict[str, str]:
    return {"message": "Hello, World!"}
