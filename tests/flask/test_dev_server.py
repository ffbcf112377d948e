"""The development server's reloader: checks run in the serving child only, never twice."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.support._process import poll_until
from tests.support.app_servers import AppServer, get

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("start", ["first_request", "init_app"])
def test_reloader_runs_checks_in_the_serving_child_only(tmp_path: Path, start: str) -> None:
    """Under `flask run --reload --debug`, only the process that serves requests checks."""
    check_log = tmp_path / "checks.log"
    check_log.touch()
    server = AppServer(
        lambda port: [
            sys.executable,
            "-m",
            "flask",
            "run",
            "--reload",
            "--debug",
            "--port",
            str(port),
        ],
        env={
            "TEST_CHECK_LOG": str(check_log),
            "TEST_START": start,
            "FLASK_APP": "tests.flask.apps.reloader_app:app",
        },
    )
    assert server.env is not None
    server.env.pop("WERKZEUG_RUN_MAIN", None)
    server.env.pop("FLASK_RUN_FROM_CLI", None)
    with server:
        reloader_pid = server.pid
        poll_until(lambda: get(server.port, "/readyz").status == 200, 20, "/readyz 200")
        serving_pid = get(server.port, "/readyz").pid
        lines_before = len(check_log.read_text().split())
        poll_until(
            lambda: len(check_log.read_text().split()) >= lines_before + 2,
            10,
            "checks to go on",
        )
    pids = set(check_log.read_text().split())
    assert serving_pid != reloader_pid
    assert pids == {str(serving_pid)}
