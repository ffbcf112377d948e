"""Django test setup: the test project's settings, one engine per test.

Settings are applied with ``settings.configure`` from ``project.settings`` (this folder is on
``sys.path``), so that ``DJANGO_SETTINGS_MODULE`` stays unset for the rest of the suite.
Subprocess tests pass ``DJANGO_SETTINGS_MODULE=project.settings`` explicitly. The servers
come from the root fixtures (``postgres_dsn``, ``redis_url``, ``mysql_params``,
``private_redis``).
"""

from __future__ import annotations

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
