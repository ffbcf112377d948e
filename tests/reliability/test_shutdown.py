"""Shutdown under load: stopping while checks are in flight leaves nothing behind.

Every dependency answers slowly (a fault proxy delays each chunk; PostgreSQL runs
``pg_sleep``), so checks are in flight when the stop comes, while health requests keep
arriving. Afterwards: no task of ours is left on the loop, asyncio logs no pending or failed
task, no thread of ours runs, no socket of this process is connected to a dependency, and
PostgreSQL, asked directly, holds no session of ours.

(PostgreSQL is reached without a proxy: the fault proxy keeps its upstream side open when a
client goes away while bytes are delayed, which would show as a session that is not ours.)
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import warnings
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette

from dephealth_core import (
    BackgroundRunner,
    DependencyHealth,
    HealthViews,
    postgres_check,
    redis_check,
)
from dephealth_starlette import install
from tests.support._process import poll_until
from tests.support.app_servers import gunicorn_command, served
from tests.support.fault_proxy import ThreadedFaultProxy
from tests.support.ports import free_port
from tests.support.procfs import own_sockets_to

from .adapters import APPS
from .fleet import Fleet
from .secrets_support import every_log_record

pytestmark = [pytest.mark.usefixtures("postgres_dsn", "mysql_params")]

#: Each chunk, both ways, arrives this late: a check spans several of these.
DELAY = 0.3
APP_NAME = "dephealth-shutdown-test"
PROXY_THREAD = "fault-proxy"
#: PostgreSQL checked directly, slowly, under a name its sessions can be counted by.
SLOW_PG = {
    "DEPHEALTH_PG_URL": "postgres://postgres@127.0.0.1:5432/test",
    "DEPHEALTH_PG_QUERY": "SELECT pg_sleep(0.3)",
    "DEPHEALTH_PG_APPLICATION_NAME": APP_NAME,
}


def pg_sessions(application_name: str) -> int:
    """PostgreSQL sessions of ``application_name`` on the machine's server."""
    import psycopg

    with psycopg.connect("host=127.0.0.1 port=5432 dbname=test user=postgres") as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (application_name,)
        ).fetchone()
    assert row is not None
    return int(row[0])


def our_threads(besides: frozenset[threading.Thread] = frozenset()) -> list[str]:
    """Threads of ours (the engine's pool, alias threads, the runner) not in ``besides``.

    Other tests of the session may have left the process's runner (or an adapter's alias
    thread) running: those are ``besides``, taken before the test starts.
    """
    return sorted(
        t.name for t in threading.enumerate() if t.name.startswith("dephealth") and t not in besides
    )


def threads_now() -> frozenset[threading.Thread]:
    return frozenset(threading.enumerate())


def alarms(records: list[logging.LogRecord], caught: list[warnings.WarningMessage]) -> list[str]:
    """asyncio's complaints (pending or failed tasks) and runtime or resource warnings."""
    found = [
        record.getMessage()
        for record in records
        if record.name == "asyncio"
        and record.levelno >= logging.WARNING
        # The fault proxies' own loops are test infrastructure, not the code under test.
        and not record.threadName.startswith(PROXY_THREAD)
    ]
    found += [
        str(w.message) for w in caught if issubclass(w.category, RuntimeWarning | ResourceWarning)
    ]
    return found


@contextmanager
def watching() -> Iterator[tuple[list[logging.LogRecord], list[warnings.WarningMessage]]]:
    """Collect log records and warnings; collect garbage at the end so destructors speak.

    Garbage is collected first too: what earlier tests of the session left (a Django
    connection of an ended thread, say) must not speak inside this test's window.
    """
    gc.collect()
    with every_log_record() as records, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield records, caught
        gc.collect()


def next_check_starts(fleet: Fleet) -> None:
    """Return as soon as a new check has connected: checks are in flight from here."""
    before = sum(fleet.accepted_connections().values())
    poll_until(lambda: sum(fleet.accepted_connections().values()) > before, 10, "a check to start")


def sockets_of_ours(fleet: Fleet) -> dict[str, int]:
    """This process's sockets connected to each dependency (through its proxy)."""
    return {name: own_sockets_to(proxy.port) for name, proxy in fleet.proxies.items()}


class Load:
    """Threads that keep requesting the health views until stopped; every answer recorded."""

    def __init__(self, get: Any, threads: int = 2) -> None:
        self.stop = threading.Event()
        self.answers: list[str] = []
        self._threads = [threading.Thread(target=self._run, args=(get,)) for _ in range(threads)]

    def _run(self, get: Any) -> None:
        while not self.stop.is_set():
            for view in ("/readyz", "/livez", "/health/details", "/metrics"):
                try:
                    self.answers.append(f"{view} {get(view)}")
                except (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError):
                    # The server has closed its socket, or this connection, to exit.
                    self.answers.append(f"{view} closed")
                except httpx.HTTPError as exc:
                    self.answers.append(f"{view} {type(exc).__name__}")

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(10)


async def test_starlette_under_uvicorn_stops_cleanly_while_checks_run(
    every_dependency: Fleet,
) -> None:
    """Uvicorn shutting down mid-check leaves no task, thread, warning or connection."""
    import asyncpg
    import redis.asyncio
    import uvicorn

    fleet = every_dependency
    # The app's own Redis client, checked in pool mode, behind a proxy of its own.
    redis_proxy = ThreadedFaultProxy("127.0.0.1", 6379).start()
    leftovers: list[str] = []

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.pg = await asyncpg.create_pool(
            "postgresql://postgres@127.0.0.1:5432/test",
            min_size=1,
            max_size=2,
            server_settings={"application_name": APP_NAME},
        )
        app.state.redis = redis.asyncio.Redis(host="127.0.0.1", port=redis_proxy.port)
        yield
        # Runs after the checks have stopped: whatever of ours is still on the loop is left over.
        current = asyncio.current_task()
        leftovers.extend(
            task.get_name()
            for task in asyncio.all_tasks()
            if task is not current and "dephealth" in repr(task.get_coro())
        )
        await app.state.pg.close()
        await app.state.redis.aclose()

    environ = {**fleet.environ, **SLOW_PG}
    app = Starlette(lifespan=lifespan)
    dh = install(
        app,
        DependencyHealth(
            None,
            None,
            postgres_check(
                "pg-pool", pool=lambda: app.state.pg, query="SELECT pg_sleep(0.3)", critical=True
            ),
            redis_check("redis-pool", client=lambda: app.state.redis, critical=True),
            environ=environ,
            registry=CollectorRegistry(),
        ),
        metrics=True,
        show_details="always",
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    proxies = [*fleet.proxies.values(), redis_proxy]
    before = threads_now()
    try:
        with watching() as (records, caught):
            thread = threading.Thread(target=server.run, name="test-uvicorn")
            thread.start()
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
                poll_until(lambda: server.started, 30, "uvicorn to start")
                poll_until(lambda: client.get("/readyz").status_code == 200, 30, "/readyz 200")
                for proxy in proxies:
                    proxy.delay(DELAY)
                with Load(lambda view: client.get(view).status_code) as load:
                    next_check_starts(fleet)
                    server.should_exit = True
                    thread.join(30)
            assert not thread.is_alive()
            poll_until(
                lambda: not our_threads(before), 5, "the checker threads to end", state=our_threads
            )
            poll_until(
                lambda: not any(own_sockets_to(p.port) for p in proxies),
                10,
                "connections to close",
                state=lambda: sockets_of_ours(fleet),
            )
        assert leftovers == []
        assert alarms(records, caught) == []
        assert {answer.split()[1] for answer in load.answers} <= {"200", "503", "closed"}
        assert dh.snapshot.running is False
        # A cancelled query ends on the server once it notices the closed socket.
        poll_until(lambda: pg_sessions(APP_NAME) == 0, 10, "PostgreSQL sessions to end")
    finally:
        server.should_exit = True
        redis_proxy.close()


def test_background_runner_stops_cleanly_while_checks_run(every_dependency: Fleet) -> None:
    """stop_background() mid-check leaves no task, thread, warning or connection."""
    fleet = every_dependency
    environ = {**fleet.environ, **SLOW_PG}
    with watching() as (records, caught):
        dh = DependencyHealth(environ=environ, registry=CollectorRegistry())
        views = HealthViews(dh, show_details="always", metrics=True)
        # A runner of its own: not one an earlier test of the session started.
        BackgroundRunner.get().shutdown()
        before = threads_now()
        dh.start_background()
        runner = BackgroundRunner.get()
        poll_until(lambda: views.handle("readyz").status == 200, 30, "/readyz 200")
        fleet.delay(DELAY)
        with Load(lambda view: views.handle(view.strip("/").replace("health/", "")).status):
            next_check_starts(fleet)
            dh.stop_background()
        pending = runner.run(_tasks_of_ours(), timeout=5)
        poll_until(
            lambda: our_threads(before) == ["dephealth-checker"],
            5,
            "the checker pool to end",
            state=our_threads,
        )
        poll_until(
            lambda: not any(sockets_of_ours(fleet).values()),
            10,
            "connections to close",
            state=lambda: sockets_of_ours(fleet),
        )
        runner.shutdown()
    assert pending == []
    assert our_threads(before) == []
    assert alarms(records, caught) == []
    # A cancelled query ends on the server once it notices the closed socket.
    poll_until(lambda: pg_sessions(APP_NAME) == 0, 10, "PostgreSQL sessions to end")


def pids_serving(base_url: str, requests: int = 4) -> set[str]:
    """PIDs of the workers that answered ``requests`` concurrent requests held 0.3 s each."""
    with ThreadPoolExecutor(requests) as pool, httpx.Client(base_url=base_url, timeout=60) as c:
        return set(pool.map(lambda _: c.get("/pid?sleep=0.3").text.strip(), range(requests)))


async def _tasks_of_ours() -> list[str]:
    current = asyncio.current_task()
    return [
        task.get_name()
        for task in asyncio.all_tasks()
        if task is not current and "dephealth" in repr(task.get_coro())
    ]


WSGI_APPS = {"django": "relproject.wsgi:application", "flask": "flask_app:app"}


@pytest.mark.e2e
@pytest.mark.parametrize("framework", list(WSGI_APPS))
def test_wsgi_app_under_gunicorn_stops_cleanly_while_checks_run(
    framework: str, every_dependency: Fleet, tmp_path: Any
) -> None:
    """gunicorn workers (Django, Flask) stopped mid-check exit in time and leave nothing."""
    fleet = every_dependency
    env = {
        **fleet.environ,
        **SLOW_PG,
        # Django's own database and cache aliases, directly.
        "REL_DB_PORT": "5432",
        "REL_CACHE_PORT": "6379",
        "REL_APP_NAME": APP_NAME,
    }
    command = lambda port: gunicorn_command(WSGI_APPS[framework], port, workers=2)  # noqa: E731
    with (
        served(command, env, tmp_path, app_dir=APPS) as server,
        httpx.Client(base_url=server.base_url, timeout=60) as client,
    ):
        # A worker starts its checks on its first request: make both serve at once.
        poll_until(lambda: len(pids_serving(server.base_url)) == 2, 60, "both workers to serve")
        poll_until(lambda: client.get("/readyz").status_code == 200, 60, "/readyz 200")
        fleet.delay(DELAY)
        with Load(lambda view: client.get(view).status_code) as load:
            next_check_starts(fleet)
            code = server.terminate(timeout=30)
    assert code == 0
    assert server.alarms() == []
    poll_until(lambda: pg_sessions(APP_NAME) == 0, 10, "PostgreSQL sessions to end")
    assert {answer.split()[1] for answer in load.answers} <= {"200", "503", "closed"}
