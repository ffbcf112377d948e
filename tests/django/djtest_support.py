"""Helpers of the Django tests: addresses, PostgreSQL session counts, a private Redis.

A module of its own (not ``conftest``) so that test modules can import it by a name no
other test folder uses.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
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
