"""Django test setup: the test project's settings, real PostgreSQL and Redis, a private Redis.

Settings are applied with ``settings.configure`` from ``project.settings`` (this folder is on
``sys.path``), so that ``DJANGO_SETTINGS_MODULE`` stays unset for the rest of the suite.
Subprocess tests pass ``DJANGO_SETTINGS_MODULE=project.settings`` explicitly.
"""

from __future__ import annotations

import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from django.conf import settings  # noqa: E402

import django  # noqa: E402

if not settings.configured:
    from project import settings as project_settings

    settings.configure(
        **{key: getattr(project_settings, key) for key in dir(project_settings) if key.isupper()}
    )
    django.setup()

from djtest_support import CI, PrivateRedis, need  # noqa: E402


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A private Redis server, stopped at the end of the test."""
    if shutil.which("redis-server") is None:
        if CI:
            pytest.fail("redis-server is not installed")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def postgres() -> None:
    """The shared PostgreSQL (127.0.0.1:5432, db test)."""
    need(5432, "PostgreSQL")


@pytest.fixture
def redis() -> None:
    """The shared Redis (127.0.0.1:6379)."""
    need(6379, "Redis")


@pytest.fixture
def app_name() -> str:
    """A unique PostgreSQL application_name to count a test's connections by."""
    return f"dephealth-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture(autouse=True)
def _fresh_runtime(django_db_blocker: object) -> Iterator[None]:
    """Each test builds its own engine from the settings, and stops it afterwards."""
    from dephealth_django import _runtime

    _runtime.reset()
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        yield
        _runtime.reset()
