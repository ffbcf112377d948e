"""The blueprint: the core's health views served through Flask."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Request, request
from prometheus_client import CONTENT_TYPE_LATEST

from dephealth_core import tcp_check
from dephealth_flask import DepHealth

from .conftest import wait_for_status

AppFactory = Callable[..., Flask]


def _ready_app(
    make_app: AppFactory,
    port: int,
    ready_path: str = "/readyz",
    setup: Callable[[Flask], None] | None = None,
    **options: Any,
) -> Flask:
    app = make_app(DEPHEALTH_NAME="svc", DEPHEALTH_GROUP="team")
    if setup is not None:
        setup(app)
    DepHealth(
        app,
        tcp_check("cache", host="127.0.0.1", port=port, critical=True),
        tcp_check("search", host="127.0.0.1", port=port, critical=False),
        **options,
    )
    wait_for_status(app.test_client(), ready_path, 200)
    engine = app.extensions["dephealth"].engine
    deadline = time.monotonic() + 10
    while len(engine.health()) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    return app


def test_every_view_answers_with_no_store(make_app: AppFactory, listener: int) -> None:
    """All six views answer, each with Cache-Control: no-store and the core's content type."""
    app = _ready_app(make_app, listener, metrics=True, show_details="always")
    client = app.test_client()
    expected = {
        "/health/dependencies": (200, "application/json"),
        "/livez": (200, "text/plain; charset=utf-8"),
        "/readyz": (200, "text/plain; charset=utf-8"),
        "/health": (200, "application/health+json"),
        "/health/details": (200, "application/json"),
        "/metrics": (200, CONTENT_TYPE_LATEST),
    }
    for path, (status, content_type) in expected.items():
        response = client.get(path)
        assert (path, response.status_code) == (path, status)
        assert response.headers["Content-Type"] == content_type
        assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/health/dependencies").get_json() == {
        "status": "healthy",
        "dependencies": {"cache": True, "search": True},
    }


def test_readyz_turns_503_when_a_critical_dependency_is_down(
    make_app: AppFactory, closed_port: int
) -> None:
    """A refused critical dependency makes /readyz 503 with the reason in verbose mode."""
    app = make_app(DEPHEALTH_NAME="svc", DEPHEALTH_GROUP="team")
    DepHealth(app, tcp_check("cache", host="127.0.0.1", port=closed_port, critical=True))
    client = app.test_client()
    client.get("/livez")  # the first request starts the checks
    engine = app.extensions["dephealth"].engine
    deadline = time.monotonic() + 10
    while "cache" not in engine.health() and time.monotonic() < deadline:
        time.sleep(0.01)
    response = client.get("/readyz?verbose")
    assert response.status_code == 503
    assert b"[-]cache failed: connection_error" in response.data
    assert client.get("/readyz?exclude=cache").status_code == 200


def test_prefix_and_paths_move_or_disable_views(make_app: AppFactory, listener: int) -> None:
    """A prefix moves every view; a path of None removes that view."""
    app = _ready_app(
        make_app,
        listener,
        ready_path="/ops/ready",
        prefix="/ops",
        paths={"readyz": "/ready", "health": None},
    )
    client = app.test_client()
    assert client.get("/ops/ready").status_code == 200
    assert client.get("/ops/readyz").status_code == 404
    assert client.get("/ops/health").status_code == 404
    assert client.get("/ops/metrics").status_code == 404
    assert client.get("/ops/livez").status_code == 200


def test_head_and_other_methods(make_app: AppFactory, listener: int) -> None:
    """HEAD answers without a body; POST gets a 405 that still says no-store."""
    app = _ready_app(make_app, listener)
    client = app.test_client()
    head = client.head("/readyz")
    assert (head.status_code, head.data) == (200, b"")
    post = client.post("/readyz")
    assert post.status_code == 405
    assert post.headers["Cache-Control"] == "no-store"
    assert post.headers["Allow"] == "GET, HEAD"


def test_details_callable_receives_the_flask_request(make_app: AppFactory, listener: int) -> None:
    """show_details as a callable gets the Flask request and decides with the app's own auth."""
    seen: list[Any] = []

    def staff_only(incoming: Request) -> bool:
        seen.append(incoming)
        return incoming.headers.get("X-Staff") == "yes" and request.path == incoming.path

    app = _ready_app(make_app, listener, show_details=staff_only)
    client = app.test_client()
    assert client.get("/health/details").status_code == 403
    allowed = client.get("/health/details", headers={"X-Staff": "yes"})
    assert allowed.status_code == 200
    assert set(allowed.get_json()) == {
        f"cache:127.0.0.1:{listener}",
        f"search:127.0.0.1:{listener}",
    }
    assert all(isinstance(item, Request) for item in seen)
    public = client.get("/health").get_json()
    assert "componentId" not in str(public)
    staff = client.get("/health", headers={"X-Staff": "yes"}).get_json()
    assert staff["checks"]["cache"][0]["componentId"] == f"127.0.0.1:{listener}"


def test_details_token_never_appears_in_answers(make_app: AppFactory, listener: int) -> None:
    """Token mode unlocks details with the bearer token only, and never echoes the token."""
    token = "s3cret-token-value"
    app = _ready_app(make_app, listener, show_details="token", details_token=token)
    client = app.test_client()
    denied = client.get("/health/details", headers={"Authorization": "Bearer wrong"})
    assert denied.status_code == 401
    allowed = client.get("/health/details", headers={"Authorization": f"Bearer {token}"})
    assert allowed.status_code == 200
    for response in (denied, allowed, client.get("/health"), client.get("/readyz?verbose")):
        assert token.encode() not in response.data
        assert token not in str(response.headers)


def test_details_are_hidden_by_default(make_app: AppFactory, listener: int) -> None:
    """Without show_details, /health/details is not found and /metrics is not served."""
    app = _ready_app(make_app, listener)
    client = app.test_client()
    assert client.get("/health/details").status_code == 404
    assert client.get("/metrics").status_code == 404


def test_app_hooks_still_run_on_health_views(make_app: AppFactory, listener: int) -> None:
    """The app's own after_request hooks see the health answers like any other response."""

    def setup(app: Flask) -> None:
        @app.after_request
        def tag(response: Any) -> Any:
            response.headers["X-App"] = "yes"
            return response

    app = _ready_app(make_app, listener, setup=setup)
    assert app.test_client().get("/readyz").headers["X-App"] == "yes"
