"""End to end under a real gunicorn with two workers, against a private Redis that goes away."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from tests.conftest import server_unavailable
from tests.support.app_servers import Gunicorn
from tests.support.servers import PrivateRedis, ServerNotInstalled

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

MODES = [
    pytest.param(("sync", False, "first_request"), id="sync-first_request"),
    pytest.param(("sync", True, "first_request"), id="sync-preload-first_request"),
    pytest.param(("gthread", False, "init_app"), id="gthread-init_app"),
    pytest.param(("gthread", True, "init_app"), id="gthread-preload-init_app"),
]


@pytest.fixture(scope="module")
def redis_server() -> Iterator[PrivateRedis]:
    """A private redis-server the test app depends on (critical), for the whole module."""
    try:
        server = PrivateRedis()
    except ServerNotInstalled as exc:
        server_unavailable(str(exc))
    with server:
        yield server


@pytest.fixture(scope="module", params=MODES)
def server(request: pytest.FixtureRequest, redis_server: PrivateRedis) -> Iterator[Gunicorn]:
    """gunicorn with two workers in one of the worker / preload / start combinations."""
    worker_class, preload, start = request.param
    gunicorn = Gunicorn(
        worker_class=worker_class,
        preload=preload,
        env={"TEST_REDIS_PORT": str(redis_server.port), "TEST_START": start},
    )
    gunicorn.start()
    yield gunicorn
    gunicorn.close()


def test_every_worker_answers_readyz(server: Gunicorn) -> None:
    """Both workers answer /readyz 200 once their own checks have a result."""
    answers = server.poll_workers("/readyz", lambda answer: answer.status == 200)
    assert len(answers) == 2
    assert all(answer.body == b"ok\n" for answer in answers.values())


def test_each_worker_runs_its_own_checker_thread(server: Gunicorn) -> None:
    """Every worker has its own dephealth-checker thread, and only one."""
    server.poll_workers("/readyz", lambda answer: answer.status == 200)
    answers = server.poll_workers("/threads", lambda answer: answer.status == 200)
    for answer in answers.values():
        names = json.loads(answer.body)["threads"]
        assert names.count("dephealth-checker") == 1


def test_the_master_runs_no_checks(server: Gunicorn) -> None:
    """gunicorn's master never runs checks, even with --preload and start="init_app"."""
    server.poll_workers("/readyz", lambda answer: answer.status == 200)
    master_threads = os.listdir(f"/proc/{server.pid}/task")
    assert len(master_threads) == 1


def test_redis_outage_turns_every_worker_503_and_back(
    server: Gunicorn, redis_server: PrivateRedis
) -> None:
    """Stopping Redis makes /readyz 503 in every worker; restarting it brings back 200."""
    server.poll_workers("/readyz", lambda answer: answer.status == 200)
    with redis_server.stopped():
        down = server.poll_workers("/readyz?verbose", lambda answer: answer.status == 503)
        for answer in down.values():
            # redis-py's own retries (the app's client, in pool mode) can outlast the check's
            # timeout: the detail is connection_error or timeout, the verdict the same.
            assert re.search(rb"\[-\]redis-main failed: (connection_error|timeout)\n", answer.body)
    up = server.poll_workers("/readyz", lambda answer: answer.status == 200)
    assert len(up) == 2


def test_multiprocess_metrics_show_each_workers_own_view(
    redis_server: PrivateRedis, tmp_path: Path
) -> None:
    """With PROMETHEUS_MULTIPROCESS_DIR, each worker's /metrics shows its own checks only."""
    multiprocess_dir = tmp_path / "prometheus"
    multiprocess_dir.mkdir()
    gunicorn = Gunicorn(
        env={
            "TEST_REDIS_PORT": str(redis_server.port),
            "TEST_PID_LABEL": "1",
            "PROMETHEUS_MULTIPROCESS_DIR": str(multiprocess_dir),
        }
    )
    gunicorn.start()
    try:
        gunicorn.poll_workers("/readyz", lambda answer: answer.status == 200)
        answers = gunicorn.poll_workers(
            "/metrics", lambda answer: b"app_dependency_health{" in answer.body
        )
    finally:
        gunicorn.close()
    for pid, answer in answers.items():
        workers = set(re.findall(rb'app_dependency_health\{[^}]*worker="(\d+)"', answer.body))
        assert workers == {str(pid).encode()}
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(multiprocess_dir))
    assert b"app_dependency" not in generate_latest(registry)


# Last in the module: it stops the module's server of each mode.
def test_gunicorn_stops_cleanly_with_no_checker_thread_left(server: Gunicorn) -> None:
    """SIGTERM stops gunicorn gracefully: no worker is killed, no checker thread outlives exit."""
    workers = server.poll_workers("/readyz", lambda answer: answer.status == 200)
    code = server.terminate()
    log = server.output()
    assert code == 0, log
    assert "SIGKILL" not in log
    assert "WORKER TIMEOUT" not in log
    assert "Shutting down: Master" in log
    at_exit = dict(re.findall(r"pid=(\d+) threads at exit: (\[[^\]]*\])", log))
    assert set(map(str, workers)) <= set(at_exit), log
    assert set(at_exit.values()) == {"['MainThread']"}, log
