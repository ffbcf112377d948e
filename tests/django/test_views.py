"""The health views under WSGI (test Client) and ASGI (AsyncClient), and the lazy start."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest
from django.test import AsyncClient, Client, RequestFactory, override_settings

from dephealth_django import _runtime, get_dependency_health
from dephealth_django.views import health_view

pytestmark = pytest.mark.usefixtures("postgres_dsn", "redis_url")

BASE = {"name": "svc", "group": "team", "caches": {"default": {"critical": True}}}


def _checked() -> None:
    engine = get_dependency_health()
    engine.start_background()
    engine.check_now_background()


def test_readyz_is_200_once_checked_and_carries_no_store() -> None:
    """After a round of checks /readyz answers 200 ok with Cache-Control: no-store."""
    _checked()
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Type"].startswith("text/plain")


def test_readyz_verbose_lists_discovered_dependencies() -> None:
    """?verbose shows one line per dependency."""
    _checked()
    text = Client().get("/readyz?verbose").content.decode()
    assert "[+]db-default ok" in text
    assert "[+]cache-default ok" in text


def test_first_request_starts_the_checks() -> None:
    """The checks start on the first request the process serves, not before."""
    assert _runtime._runtime is None
    Client().get("/ping")
    assert get_dependency_health().running
    assert any(t.name == "dephealth-checker" for t in threading.enumerate())


@override_settings(DEPHEALTH={**BASE, "autostart": False})
def test_autostart_off_leaves_readyz_failing() -> None:
    """With autostart off, requests do not start checks and /readyz says so."""
    response = Client().get("/readyz?verbose")
    assert response.status_code == 503
    assert "checks not running" in response.content.decode()
    assert not get_dependency_health().running


def test_dependencies_view_is_dephealth_compatible() -> None:
    """/health/dependencies gives {"status": "healthy", "dependencies": {name: bool}}."""
    _checked()
    body = Client().get("/health/dependencies").json()
    assert body == {
        "status": "healthy",
        "dependencies": {"db-default": True, "cache-default": True},
    }


def test_details_are_hidden_by_default() -> None:
    """Without show_details, /health/details is 404 and /health shows no hosts."""
    _checked()
    client = Client()
    assert client.get("/health/details").status_code == 404
    assert b"127.0.0.1" not in client.get("/health").content


@override_settings(DEPHEALTH={**BASE, "show_details": lambda r: r.user.is_staff})
def test_show_details_callable_gets_the_django_request() -> None:
    """A callable such as ``lambda r: r.user.is_staff`` decides with the Django request."""
    _checked()
    assert Client().get("/health/details").status_code == 403
    request = RequestFactory().get("/health/details")
    request.user = SimpleNamespace(is_staff=True)
    response = health_view(request, "details")
    assert response.status_code == 200
    assert b"db-default:127.0.0.1:5432" in response.content


@override_settings(DEPHEALTH={**BASE, "show_details": "token", "details_token": "s3cret-token"})
def test_token_mode_needs_the_bearer_token() -> None:
    """In token mode details need ``Authorization: Bearer <token>``."""
    _checked()
    client = Client()
    assert client.get("/health/details").status_code == 401
    response = client.get("/health/details", headers={"Authorization": "Bearer s3cret-token"})
    assert response.status_code == 200


@override_settings(DEPHEALTH={**BASE, "prefix": "/ops", "metrics": True})
def test_prefix_and_metrics_follow_the_settings() -> None:
    """A prefix moves every view; metrics=True serves the dephealth families."""
    _checked()
    client = Client()
    assert client.get("/readyz").status_code == 404
    assert client.get("/ops/readyz").status_code == 200
    metrics = client.get("/ops/metrics").content.decode()
    assert 'app_dependency_health{critical="yes",dependency="db-default"' in metrics


def test_post_is_405() -> None:
    """Only GET and HEAD are served."""
    assert Client().post("/readyz").status_code == 405


async def test_views_under_asgi() -> None:
    """Under ASGI the views answer the same, from an async view."""
    from asgiref.sync import sync_to_async

    await sync_to_async(_checked)()
    client = AsyncClient()
    response = await client.get("/readyz?verbose")
    assert response.status_code == 200
    assert "[+]db-default ok" in response.content.decode()
    response = await client.get("/livez")
    assert response.status_code == 200


@override_settings(DEPHEALTH={**BASE, "show_details": lambda r: r.user.is_staff})
async def test_show_details_callable_under_asgi() -> None:
    """Under ASGI a callable that reads request.user works (it runs off the loop)."""
    from asgiref.sync import sync_to_async

    await sync_to_async(_checked)()
    response = await AsyncClient().get("/health/details")
    assert response.status_code == 403
