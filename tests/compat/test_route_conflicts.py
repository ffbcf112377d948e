"""The app's own routes win over our views, in Starlette (mounts included) and Flask.

A view whose path the app already answers is not served there, and one WARNING names the
path and how to move the view. The conformance service test does the same under uvicorn.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from flask import Flask
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from dephealth_core import DependencyHealth, tcp_check
from dephealth_flask import DepHealth
from dephealth_starlette import DepHealthMiddleware
from tests.support.stubs import TcpStubServer


@pytest.fixture
def server() -> Iterator[TcpStubServer]:
    stub = TcpStubServer("close").start()
    yield stub
    stub.stop()


def engine(server: TcpStubServer) -> DependencyHealth:
    return DependencyHealth(
        "svc",
        "team",
        tcp_check("cache", host=server.host, port=server.port, critical=True),
        registry=CollectorRegistry(),
    )


def own(text: str) -> PlainTextResponse:
    return PlainTextResponse(text)


def conflict_warnings(caplog: pytest.LogCaptureFixture, path: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and f"GET {path}," in r.getMessage()
    ]


def test_starlette_leaves_the_apps_own_paths_to_it(
    server: TcpStubServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Own /health and a mounted /ops/livez answer as the app wrote them; ours serve the rest."""

    async def health(request: object) -> PlainTextResponse:
        return own("app health")

    async def livez(request: object) -> PlainTextResponse:
        return own("app livez")

    app = Starlette(
        routes=[Route("/health", health), Mount("/ops", routes=[Route("/livez", livez)])]
    )
    app.add_middleware(DepHealthMiddleware, dephealth=engine(server), prefix="/ops")
    caplog.set_level(logging.WARNING, logger="dephealth")
    with TestClient(app) as client:
        assert client.get("/ops/livez").text == "app livez"
        assert client.get("/health").text == "app health"  # not ours: ours live under /ops
        assert (
            client.get("/ops/health").headers["content-type"].startswith("application/health+json")
        )
        assert client.get("/ops/metrics").status_code == 200
        for _ in range(3):
            client.get("/ops/livez")
    shadowed = conflict_warnings(caplog, "/ops/livez")
    assert len(shadowed) == 1
    assert "prefix=" in shadowed[0] and "paths=" in shadowed[0]
    assert conflict_warnings(caplog, "/ops/health") == []


def test_starlette_metrics_path_and_metrics_off(server: TcpStubServer) -> None:
    """dephealth's ``metrics_path=`` moves /metrics; ``metrics=False`` turns it off."""
    moved = Starlette()
    moved.add_middleware(DepHealthMiddleware, dephealth=engine(server), metrics_path="/prom")
    with TestClient(moved) as client:
        assert client.get("/prom").status_code == 200
        assert client.get("/metrics").status_code == 404
    off = Starlette()
    off.add_middleware(DepHealthMiddleware, dephealth=engine(server), metrics=False)
    with TestClient(off) as client:
        assert client.get("/metrics").status_code == 404


@pytest.mark.parametrize("routes_first", [True, False])
def test_flask_leaves_the_apps_own_paths_to_it(
    server: TcpStubServer, caplog: pytest.LogCaptureFixture, routes_first: bool
) -> None:
    """An app route for /readyz wins whether it was added before or after ``init_app``."""
    app = Flask(__name__)
    app.config.update(DEPHEALTH_NAME="svc", DEPHEALTH_GROUP="team")

    def add_route() -> None:
        app.add_url_rule("/readyz", "ready", lambda: "app ready")

    if routes_first:
        add_route()
    DepHealth(
        app,
        tcp_check("cache", host=server.host, port=server.port, critical=True),
        registry=CollectorRegistry(),
    )
    if not routes_first:
        add_route()
    caplog.set_level(logging.WARNING, logger="dephealth")
    client = app.test_client()
    try:
        for _ in range(3):
            assert client.get("/readyz").get_data(as_text=True) == "app ready"
        assert client.get("/livez").status_code in (200, 503)
        assert client.get("/livez").headers["Cache-Control"] == "no-store"
        assert len(conflict_warnings(caplog, "/readyz")) == 1
    finally:
        app.extensions["dephealth"].engine.stop_background()
