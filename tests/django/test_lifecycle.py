"""Lifecycle in real processes: management commands never start checks; ``manage.py dephealth``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from djtest_support import HERE, pg_connections, subprocess_env

from tests.support._process import poll_until
from tests.support.app_servers import AppServer
from tests.support.ports import free_port

pytestmark = pytest.mark.usefixtures("postgres_dsn", "redis_url")

THREADS = "import threading; print(sorted(t.name for t in threading.enumerate()))"


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(HERE / "manage.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_migrate_starts_no_check(tmp_path: Path, app_name: str) -> None:
    """``manage.py migrate`` runs without starting checks or connecting to checked databases."""
    env = subprocess_env(
        DJTEST_SQLITE_DEFAULT=str(tmp_path / "db.sqlite3"),
        DJTEST_APP_NAME=app_name,
    )
    result = _manage("migrate", "--noinput", env=env)
    assert result.returncode == 0, result.stderr
    assert "Applying auth" in result.stdout
    assert "dephealth: started" not in result.stderr
    assert pg_connections(app_name) == 0


def test_shell_has_no_checker_thread(app_name: str) -> None:
    """``manage.py shell`` has no checker thread and opens no connection to check."""
    env = subprocess_env(DJTEST_APP_NAME=app_name)
    result = _manage("shell", "-c", THREADS, env=env)
    assert result.returncode == 0, result.stderr
    assert "dephealth" not in result.stdout
    assert "dephealth: started" not in result.stderr


def test_runserver_starts_checks_only_in_the_serving_child(app_name: str) -> None:
    """Under runserver's autoreloader only the serving child checks, once, on a request."""
    server = AppServer(
        lambda port: [sys.executable, str(HERE / "manage.py"), "runserver", f"127.0.0.1:{port}"],
        env={
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "DJTEST_APP_NAME": app_name,
            "PYTHONUNBUFFERED": "1",
        },
        app_dir=HERE,
        startup_timeout=90,
    )
    with server:
        assert pg_connections(app_name) == 0
        with httpx.Client(base_url=server.base_url, timeout=5) as client:
            assert client.get("/ping").status_code == 200
            poll_until(lambda: client.get("/readyz").status_code == 200, 90, "/readyz 200")
        assert pg_connections(app_name) == 1
        server.terminate(timeout=15)
        assert server.output().count("dephealth: started") == 1


def test_manage_py_check_fails_on_bad_settings() -> None:
    """``manage.py check`` exits non-zero naming dephealth.E001, the dependency and field."""
    env = subprocess_env(DEPHEALTH_API_URL="ftp://nowhere", DEPHEALTH_API_CRITICAL="yes")
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "dephealth.E001" in result.stderr
    assert "'api'" in result.stderr
    assert "'url'" in result.stderr


def test_dephealth_command_prints_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    """``manage.py dephealth`` checks once and prints dependency, endpoint, status, latency."""
    call_command("dephealth")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "DEPENDENCY",
        "ENDPOINT",
        "CRITICAL",
        "STATUS",
        "DETAIL",
        "LATENCY",
        "MS",
    ]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows["db-default"][1:5] == ["127.0.0.1:5432", "yes", "ok", "ok"]
    assert rows["cache-default"][1:5] == ["127.0.0.1:6379", "yes", "ok", "ok"]


def test_dephealth_command_fails_when_a_critical_dependency_is_down() -> None:
    """``manage.py dephealth`` exits with status 1 when a critical dependency fails."""
    import copy

    from django.conf import settings

    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = f"redis://127.0.0.1:{free_port()}/0"
    with override_settings(CACHES=caches), pytest.raises(CommandError) as caught:
        call_command("dephealth")
    assert caught.value.returncode == 1
    assert "cache-default" in str(caught.value)


def test_dephealth_command_exit_status_in_a_process() -> None:
    """Run as a process, ``manage.py dephealth`` exits 0 with everything up."""
    result = _manage("dephealth", env=subprocess_env())
    assert result.returncode == 0, result.stderr
    assert "db-default" in result.stdout
