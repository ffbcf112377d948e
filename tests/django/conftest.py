"""Django test setup: the test project's settings, real PostgreSQL and Redis, a private Redis.

Settings are applied with ``settings.configure`` from ``project.settings`` (this folder is on
``sys.path``), so that ``DJANGO_SETTINGS_MODULE`` stays unset for the rest of the suite.
Subprocess tests pass ``DJANGO_SETTINGS_MODULE=project.settings`` explicitly.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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

CI = os.environ.get("CI") == "true"


def reachable(port: int) -> bool:
    """True when something listens on 127.0.0.1:``port``."""
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
        return True
    return False


def need(port: int, what: str) -> None:
    """Skip (fail under CI=true) when the shared server is not there."""
    if not reachable(port):
        message = f"{what} is not listening on 127.0.0.1:{port}"
        if CI:
            pytest.fail(message)
        pytest.skip(message)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


class PrivateRedis:
    """A redis-server of our own on a free loopback port, to stop and start at will."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.dir = tmp
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary is not None
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not reachable(self.port):
            assert time.monotonic() < deadline, "private redis did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


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


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment of a project subprocess: our sources first, the project settings."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), str(HERE), env.get("PYTHONPATH", "")]
    ).rstrip(os.pathsep)
    env["DJANGO_SETTINGS_MODULE"] = "project.settings"
    env.update(extra)
    return env


@contextlib.contextmanager
def database_settings(databases: dict[str, Any]) -> Iterator[None]:
    """``override_settings(DATABASES=...)`` that Django's connection handler also follows.

    Django reads DATABASES once per process; a test that changes it must rebuild the
    handler's settings so that new threads (the checker's) connect with the new ones.
    """
    from django.db import connections
    from django.test import override_settings

    def reload() -> None:
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
