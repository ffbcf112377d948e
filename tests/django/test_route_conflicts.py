"""The app's own URLs win over our views, before or after ``include("dephealth_django.urls")``."""

from __future__ import annotations

import logging

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.usefixtures("postgres_dsn", "redis_url")


@override_settings(ROOT_URLCONF="project.urls_own_routes")
def test_the_apps_own_urls_keep_answering(caplog: pytest.LogCaptureFixture) -> None:
    """/readyz (listed before our include) and /health (after it) answer as the app wrote them;
    our other views still answer, and each conflict is one WARNING."""
    caplog.set_level(logging.WARNING, logger="dephealth")
    client = Client()
    for _ in range(3):
        assert client.get("/readyz").content == b"app /readyz"
        assert client.get("/health").content == b"app /health"
    livez = client.get("/livez")
    assert livez["Cache-Control"] == "no-store"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    for path in ("/readyz", "/health"):
        assert len([w for w in warnings if f"GET {path}," in w]) == 1, warnings
    assert not any("GET /livez," in w for w in warnings)
