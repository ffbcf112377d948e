"""The development server's reloader: checks run in the serving child only, never twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support._process import poll_until
from tests.support.ports import free_port, port_is_open

from ._processes import REPO, get

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("start", ["first_request", "init_app"])
def test_reloader_runs_checks_in_the_serving_child_only(tmp_path: Path, start: str) -> None:
    """Under `flask run --reload --debug`, only the process that serves requests checks."""
    check_log = tmp_path / "checks.log"
    check_log.touch()
    port = free_port()
    env = {
        **os.environ,
        "TEST_CHECK_LOG": str(check_log),
        "TEST_START": start,
        "FLASK_APP": "tests.flask.apps.reloader_app:app",
    }
    env.pop("WERKZEUG_RUN_MAIN", None)
    env.pop("FLASK_RUN_FROM_CLI", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "flask", "run", "--reload", "--debug", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        poll_until(lambda: port_is_open("127.0.0.1", port), 30, "the dev server did not listen")
        poll_until(lambda: get(port, "/readyz").status == 200, 20, "/readyz did not turn 200")
        serving_pid = get(port, "/readyz").pid
        lines_before = len(check_log.read_text().split())
        poll_until(
            lambda: len(check_log.read_text().split()) >= lines_before + 2,
            10,
            "checks did not go on",
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)
    pids = set(check_log.read_text().split())
    assert serving_pid != server.pid
    assert pids == {str(serving_pid)}
