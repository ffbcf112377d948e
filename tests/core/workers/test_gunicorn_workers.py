"""Many workers, one answer: four gunicorn workers share one standalone check."""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support._process import poll_until
from tests.support.app_servers import Gunicorn, get
from tests.support.stubs import TcpStubServer

pytestmark = [pytest.mark.e2e]

APP = "tests.core.workers.flask_workers_app:app"
COUNT = re.compile(
    r'^app_dependency_latency_seconds_count\{[^}]*dependency="tcp-shared"[^}]*\} (\S+)$', re.M
)


@pytest.fixture
def stub() -> Iterator[TcpStubServer]:
    with TcpStubServer("close") as server:
        yield server


def _start(stub: TcpStubServer, worker_class: str = "sync", preload: bool = False) -> Gunicorn:
    gunicorn = Gunicorn(
        worker_class=worker_class,
        preload=preload,
        workers=4,
        app=APP,
        env={"TEST_TCP_PORT": str(stub.port), "XDG_RUNTIME_DIR": ""},
    )
    gunicorn.start()
    return gunicorn


def _leader(gunicorn: Gunicorn, exclude: int = 0, timeout: float = 60) -> int:
    found: list[int] = []

    def look() -> bool:
        answer = get(gunicorn.port, "/test-leader")
        if answer.status == 200 and json.loads(answer.body)["leader"] and answer.pid != exclude:
            found.append(answer.pid)
            return True
        return False

    poll_until(look, timeout, "no worker reported running the shared checks")
    return found[0]


def _count(gunicorn: Gunicorn) -> float | None:
    answer = get(gunicorn.port, "/metrics")
    match = COUNT.search(answer.body.decode())
    return None if match is None else float(match.group(1))


@pytest.mark.parametrize(
    ("worker_class", "preload"), [("sync", False), ("gthread", False), ("sync", True)]
)
def test_one_check_per_interval_with_four_workers(
    stub: TcpStubServer, worker_class: str, preload: bool
) -> None:
    """With 4 workers the dependency sees about one check a second, not four."""
    gunicorn = _start(stub, worker_class, preload)
    try:
        gunicorn.poll_workers("/readyz", lambda a: a.status == 200, timeout=60)
        before, started = stub.accepted, time.monotonic()
        poll_until(lambda: time.monotonic() - started >= 6, 30, "clock")
        checks, elapsed = stub.accepted - before, time.monotonic() - started
        # Unshared, four workers would make about 4 * elapsed checks.
        assert checks <= elapsed * 1.5 + 2, (checks, elapsed, gunicorn.output())
        assert checks >= 1
    finally:
        gunicorn.close()


@pytest.mark.parametrize("worker_class", ["sync", "gthread"])
def test_scrapes_never_go_back_also_after_kill_9(stub: TcpStubServer, worker_class: str) -> None:
    """40 scrapes over the workers see a non-decreasing count, also once the leader is killed."""
    gunicorn = _start(stub, worker_class)
    try:
        gunicorn.poll_workers("/readyz", lambda a: a.status == 200, timeout=60)
        poll_until(lambda: (_count(gunicorn) or 0) >= 2, 60, "no latency count exported")
        seen: list[float] = []
        pids: set[int] = set()
        leader = _leader(gunicorn)
        for index in range(40):
            if index == 20:
                killed_at = time.monotonic()
                os.kill(leader, signal.SIGKILL)
                new_leader = _leader(gunicorn, exclude=leader)
                takeover = time.monotonic() - killed_at
                print(f"takeover after kill -9: {takeover:.2f}s (new leader {new_leader})")
            answer = get(gunicorn.port, "/metrics")
            pids.add(answer.pid)
            match = COUNT.search(answer.body.decode())
            if match is not None:
                seen.append(float(match.group(1)))
            time.sleep(0.1)
        assert len(pids) >= 2
        assert len(seen) == 40
        assert all(b >= a for a, b in itertools.pairwise(seen)), seen
        poll_until(lambda: (_count(gunicorn) or 0) > seen[-1], 60, "checks did not go on")
    finally:
        gunicorn.close()


def test_sharing_off_checks_in_every_worker(stub: TcpStubServer) -> None:
    """DEPHEALTH_SHARE_WORKERS=no gives back one check per worker per interval."""
    gunicorn = Gunicorn(
        workers=4,
        app=APP,
        env={"TEST_TCP_PORT": str(stub.port), "DEPHEALTH_SHARE_WORKERS": "no"},
    )
    gunicorn.start()
    try:
        gunicorn.poll_workers("/readyz", lambda a: a.status == 200, timeout=60)
        poll_until(
            lambda: get(gunicorn.port, "/test-leader").body == b'{"leader":false}\n', 10, "x"
        )
        before = stub.accepted
        poll_until(lambda: stub.accepted - before >= 12, 60, "four workers did not all check")
    finally:
        gunicorn.close()


@pytest.mark.redis
def test_pool_held_full_flips_only_that_worker(stub: TcpStubServer) -> None:
    """A worker whose own Redis pool is held full answers /readyz 503; the others 200."""
    gunicorn = Gunicorn(
        workers=4,
        app=APP,
        env={"TEST_TCP_PORT": str(stub.port), "TEST_REDIS_PORT": "6379"},
    )
    gunicorn.start()
    try:
        gunicorn.poll_workers("/readyz", lambda a: a.status == 200, timeout=60)
        held = get(gunicorn.port, "/test-hold-pool")
        assert held.status == 200
        verdicts: dict[int, int] = {}

        def flipped() -> bool:
            answer = get(gunicorn.port, "/readyz")
            verdicts[answer.pid] = answer.status
            others = [s for pid, s in verdicts.items() if pid != held.pid]
            return verdicts.get(held.pid) == 503 and len(others) >= 2 and set(others) == {200}

        poll_until(flipped, 60, f"only worker {held.pid} should fail: {verdicts}")
        health = re.compile(
            r'^app_dependency_health\{[^}]*dependency="redis-pool"[^}]*\} (\S+)$', re.M
        )

        def aggregated_down() -> bool:
            # The metrics aggregate the workers' pool results: the worst health, on any worker.
            found = health.search(get(gunicorn.port, "/metrics").body.decode())
            return found is not None and found.group(1) == "0.0"

        for _ in range(8):
            poll_until(aggregated_down, 30, "the aggregate did not show the full pool")
    finally:
        gunicorn.close()


def test_counts_never_go_back_across_max_requests_restarts(stub: TcpStubServer) -> None:
    """Workers restarted by --max-requests: the count goes on from where it was, never back."""
    gunicorn = Gunicorn(workers=4, app=APP, env={"TEST_TCP_PORT": str(stub.port)})
    gunicorn.command = [*gunicorn.command[:-1], "--max-requests", "7", gunicorn.command[-1]]
    gunicorn.start()
    try:
        gunicorn.poll_workers("/readyz", lambda a: a.status == 200, timeout=60)
        seen: list[float] = []
        pids: set[int] = set()
        while len(seen) < 40:
            try:
                answer = get(gunicorn.port, "/metrics")
            except ConnectionError:
                continue  # a worker closing at its request limit
            pids.add(answer.pid)
            match = COUNT.search(answer.body.decode())
            if match is not None:
                seen.append(float(match.group(1)))
            time.sleep(0.1)
        assert len(pids) > 4  # workers were replaced
        assert all(b >= a for a, b in itertools.pairwise(seen)), seen
        assert seen[-1] > seen[0]
    finally:
        gunicorn.close()


def test_multiprocess_mode_shows_our_families_once(stub: TcpStubServer, tmp_path: Path) -> None:
    """An app serving metrics through MultiProcessCollector shows ours once, never going back."""
    directory = tmp_path / "prometheus"
    directory.mkdir()
    gunicorn = Gunicorn(
        workers=4,
        app=APP,
        env={"TEST_TCP_PORT": str(stub.port), "PROMETHEUS_MULTIPROC_DIR": str(directory)},
    )
    gunicorn.start()
    try:
        gunicorn.poll_workers("/readyz", lambda a: a.status == 200, timeout=60)
        seen: list[float] = []
        pids: set[int] = set()
        poll_until(
            lambda: (
                COUNT.search(get(gunicorn.port, "/multiprocess-metrics").body.decode()) is not None
            ),
            60,
            "our families missing from the multiprocess exposition",
        )
        for _ in range(20):
            answer = get(gunicorn.port, "/multiprocess-metrics")
            body = answer.body.decode()
            pids.add(answer.pid)
            assert body.count("# TYPE app_dependency_health gauge") == 1
            assert "test_app_visits_total" in body  # the app's own multiprocess metric
            match = COUNT.search(body)
            assert match is not None
            seen.append(float(match.group(1)))
            time.sleep(0.1)
        assert len(pids) >= 2
        assert all(b >= a for a, b in itertools.pairwise(seen)), seen
    finally:
        gunicorn.close()
