"""Helpers of the Django tests: PostgreSQL session counts, settings overrides, the project env.

A module of its own (not ``conftest``) so that test modules can import it by a name no
other test folder uses.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.support.app_servers import app_env

HERE = Path(__file__).resolve().parent


def pg_connections(application_name: str) -> int:
    """How many PostgreSQL sessions carry ``application_name``."""
    import psycopg

    with psycopg.connect(
        "host=127.0.0.1 port=5432 dbname=test user=postgres", autocommit=True
    ) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
            (application_name,),
        ).fetchone()
    assert row is not None
    return int(row[0])


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment of a project subprocess: our sources first, the project settings."""
    return app_env({"DJANGO_SETTINGS_MODULE": "project.settings", **extra}, app_dir=HERE)


@contextlib.contextmanager
def database_settings(databases: dict[str, Any]) -> Iterator[None]:
    """``override_settings(DATABASES=...)`` that Django's connection handler also follows.

    Django reads DATABASES once per process; a test that changes it must rebuild the
    handler's settings so that new threads (the checker's) connect with the new ones.
    """
    from django.db import connections
    from django.test import override_settings

    def reload() -> None:
        for alias in list(connections.settings):
            if hasattr(connections._connections, alias):
                getattr(connections._connections, alias).close()
                delattr(connections._connections, alias)
        connections.__dict__.pop("settings", None)
        connections._settings = None

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Overriding setting DATABASES")
        with override_settings(DATABASES=databases):
            reload()
            try:
                yield
            finally:
                from dephealth_django import _runtime

                _runtime.reset()
        reload()
