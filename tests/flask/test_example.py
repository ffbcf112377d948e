"""examples/flask_app.py runs as documented against the machine's PostgreSQL and Redis."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from .conftest import wait_for_status

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "flask_app.py"


@pytest.mark.postgres
@pytest.mark.redis
def test_example_app_is_ready_and_hides_details_without_its_token() -> None:
    """The example's app turns ready on local servers and shows details only with its token."""
    spec = importlib.util.spec_from_file_location("dephealth_flask_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app = module.create_app()
    client = app.test_client()
    try:
        wait_for_status(client, "/readyz", 200, timeout=20)
        assert client.get("/").get_json()["db"] == 1
        assert client.get("/health/details").status_code == 401
        details = client.get("/health/details", headers={"Authorization": "Bearer let-me-see"})
        assert set(details.get_json()) == {
            "postgres-main:127.0.0.1:5432",
            "redis-cache:127.0.0.1:6379",
        }
        assert b"app_dependency_health{" in client.get("/metrics").data
    finally:
        module.dephealth.stop(app)
