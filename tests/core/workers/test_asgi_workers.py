"""Many workers, one answer under ``uvicorn --workers 4`` and gunicorn's uvicorn worker."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator

import pytest

from tests.core.workers.test_gunicorn_workers import COUNT, _leader
from tests.support._process import poll_until
from tests.support.app_servers import AppServer, Gunicorn, get, uvicorn_command
from tests.support.ports import port_is_open
from tests.support.stubs import TcpStubServer

pytestmark = [pytest.mark.e2e]

APP = "tests.core.workers.starlette_workers_app:app"


@pytest.fixture
def stub() -> Iterator[TcpStubServer]:
    with TcpStubServer("close") as server:
        yield server


def _servers(stub: TcpStubServer) -> list[AppServer]:
    env = {"TEST_TCP_PORT": str(stub.port)}
    return [
        AppServer(lambda port: uvicorn_command(APP, port, workers=4, log_level="info"), env=env),
        Gunicorn(worker_class="uvicorn.workers.UvicornWorker", workers=4, app=APP, env=env),
    ]


@pytest.mark.parametrize("which", [0, 1], ids=["uvicorn-workers", "gunicorn-uvicorn-worker"])
def test_one_check_per_interval_and_counts_never_go_back(stub: TcpStubServer, which: int) -> None:
    """Four ASGI workers: one check a second, and 40 scrapes that never go back."""
    server = _servers(stub)[which]
    server.start()
    try:
        poll_until(lambda: port_is_open("127.0.0.1", server.port), 30, "no listener")
        _leader(server)
        poll_until(lambda: b"tcp-shared" in get(server.port, "/metrics").body, 60, "no metrics")
        before, started = stub.accepted, time.monotonic()
        seen: list[float] = []
        for _ in range(40):
            match = COUNT.search(get(server.port, "/metrics").body.decode())
            assert match is not None
            seen.append(float(match.group(1)))
            time.sleep(0.1)
        checks, elapsed = stub.accepted - before, time.monotonic() - started
        assert checks <= elapsed * 1.5 + 2, (checks, elapsed, server.output())
        assert all(b >= a for a, b in itertools.pairwise(seen)), seen
        pids = {get(server.port, "/test-leader").pid for _ in range(40)}
        assert len(pids) >= 2, pids
    finally:
        server.close()
