"""Many workers, one answer under uwsgi: the app loaded in the master, or in each worker."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.core.workers.test_gunicorn_workers import APP, COUNT
from tests.support._process import poll_until
from tests.support.app_servers import Uwsgi, get
from tests.support.stubs import TcpStubServer

pytestmark = [pytest.mark.e2e]


@pytest.fixture(params=[False, True], ids=["app-in-master", "lazy-apps"])
def uwsgi(request: pytest.FixtureRequest) -> Iterator[tuple[Uwsgi, TcpStubServer]]:
    with TcpStubServer("close") as stub:
        server = Uwsgi(APP, lazy_apps=request.param, env={"TEST_TCP_PORT": str(stub.port)})
        server.start()
        try:
            server.wait_loaded(4 if request.param else 1)
            yield server, stub
        finally:
            server.close()


def _count(server: Uwsgi) -> float | None:
    match = COUNT.search(get(server.port, "/metrics").body.decode())
    return None if match is None else float(match.group(1))


def test_one_check_per_interval_with_four_workers(uwsgi: tuple[Uwsgi, TcpStubServer]) -> None:
    """Under uwsgi too, 4 workers make about one check a second, and every one serves results."""
    server, stub = uwsgi
    before, started = stub.accepted, time.monotonic()
    poll_until(lambda: time.monotonic() - started >= 6, 30, "clock")
    checks, elapsed = stub.accepted - before, time.monotonic() - started
    assert 1 <= checks <= elapsed * 1.5 + 2, (checks, elapsed, server.output())


def test_scrapes_never_go_back_after_kill_9_and_stop_is_clean(
    uwsgi: tuple[Uwsgi, TcpStubServer],
) -> None:
    """The count never goes back, also when the leader is killed; SIGTERM stops all at once."""
    server, _ = uwsgi
    poll_until(lambda: (_count(server) or 0) >= 2, 60, "no latency count exported")
    leaders: list[int] = []

    def leader() -> bool:
        answer = get(server.port, "/test-leader")
        if answer.status == 200 and b'"leader":true' in answer.body:
            leaders.append(answer.pid)
            return True
        return False

    poll_until(leader, 60, "no worker reported running the shared checks")
    seen: list[float] = []
    for index in range(40):
        if index == 20:
            os.kill(leaders[0], signal.SIGKILL)
        try:
            count = _count(server)
        except ConnectionError:
            continue  # the killed worker's connection
        if count is not None:
            seen.append(count)
        time.sleep(0.1)
    assert len(seen) >= 30
    assert all(b >= a for a, b in itertools.pairwise(seen)), seen
    poll_until(lambda: (_count(server) or 0) > seen[-1], 60, "checks did not go on")
    # The master respawns the killed worker; stop once every worker serves again.
    server.wait_loaded(5 if server.lazy_apps else 1)
    started = time.monotonic()
    try:
        code = server.terminate(timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"uwsgi did not stop in 30 s; log:\n{server.output()}")
    assert code == 0
    assert time.monotonic() - started < 20
    assert "Traceback" not in server.output(), server.output()
