"""Hanging dependencies never hold requests, and never make checks pile up.

Every dependency is black-holed by a fault proxy: connections open, nothing ever answers.
The health views must keep answering at once (a probe gives up after 1 s), each endpoint must
have at most one check, and so one connection, at any moment, and requests must not add checks.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry

from dephealth_core import DependencyHealth

from .procs import (
    Served,
    connections_to,
    gunicorn_command,
    own_sockets_to,
    served,
    until,
    uvicorn_command,
)
from .upstreams import Fleet

pytestmark = [pytest.mark.usefixtures("postgres_dsn", "mysql_params")]

#: What a Kubernetes probe waits for an answer (timeoutSeconds: 1).
PROBE_TIMEOUT = 1.0
#: How long every dependency stays black-holed while the test watches.
WINDOW = 3.0
#: gRPC ends a connection attempt on its own timer (bounded by the check's timeout), not
#: when the check closes its channel: on a loaded machine that socket may still be open
#: when the next check starts. Two at once, never more: no accumulation.
LINGERING = {"grpc": 2}


def crowded_endpoints(most: dict[str, int]) -> dict[str, int]:
    """Endpoints that had more connections at once than one check may hold."""
    return {name: n for name, n in most.items() if n > LINGERING.get(name, 1)}


VIEWS = (
    "/livez",
    "/readyz",
    "/readyz?verbose",
    "/health",
    "/health/dependencies",
    "/health/details",
    "/metrics",
)


async def test_black_holed_checks_hold_one_connection_per_endpoint(
    every_dependency: Fleet,
) -> None:
    """Black-holed, every endpoint reads timeout with never more than one connection open."""
    fleet = every_dependency
    dh = DependencyHealth(environ=fleet.environ, registry=CollectorRegistry())
    await dh.start()
    try:
        details = await dh.check_now()
        assert {status.detail for status in details.values()} == {"ok"}
        fleet.blackhole()
        before = fleet.accepted_connections()
        started = time.monotonic()
        most: dict[str, int] = dict.fromkeys(fleet.declared, 0)
        while time.monotonic() - started < WINDOW:
            for name in fleet.declared:
                most[name] = max(most[name], own_sockets_to(fleet.proxies[name].port))
            await asyncio.sleep(0.05)
        elapsed = time.monotonic() - started
        after = fleet.accepted_connections()
        details = dh.health_details()
    finally:
        await dh.stop()
        fleet.pass_through()
    assert crowded_endpoints(most) == {}
    # One check per endpoint and interval (1 s), whatever the timeouts: no pile-up.
    extra = {n: after[n] - before[n] for n in fleet.declared if after[n] - before[n] > elapsed + 2}
    assert extra == {}
    hanging = {status.name: status.detail for status in details.values()}
    # A TCP check only connects, and a black hole accepts connections.
    assert hanging == {**dict.fromkeys(fleet.declared, "timeout"), "tcp": "ok"}
    for name in fleet.declared:
        assert own_sockets_to(fleet.proxies[name].port) == 0, name


def _hammer(base_url: str, stop: threading.Event, failures: list[str], statuses: set[str]) -> None:
    with httpx.Client(base_url=base_url, timeout=PROBE_TIMEOUT) as client:
        while not stop.is_set():
            for view in VIEWS:
                try:
                    answer = client.get(view)
                except httpx.HTTPError as exc:
                    failures.append(f"{view}: {type(exc).__name__}")
                    continue
                statuses.add(f"{view} {answer.status_code}")


@pytest.fixture(params=["starlette-uvicorn", "django-gunicorn"])
def app_server(
    request: pytest.FixtureRequest, every_dependency: Fleet, tmp_path: Path
) -> Iterator[Served]:
    """The app under a real server, its dependencies declared by the fleet's variables."""
    commands: dict[str, Callable[[int], list[str]]] = {
        "starlette-uvicorn": lambda port: uvicorn_command("starlette_app:app", port),
        "django-gunicorn": lambda port: gunicorn_command("relproject.wsgi:application", port),
    }
    with served(commands[request.param], every_dependency.environ, tmp_path) as server:
        yield server


@pytest.mark.e2e
def test_views_answer_while_every_dependency_hangs(
    app_server: Served, every_dependency: Fleet
) -> None:
    """Every health view answers within a probe's 1 s while all dependencies hang."""
    fleet = every_dependency
    with httpx.Client(base_url=app_server.base_url, timeout=10) as client:
        until(lambda: client.get("/readyz").status_code == 200, "/readyz 200", timeout=30)
        processes = [app_server.process.pid, *app_server.children()]
        # Every dependency the app checks (Django adds its database and cache aliases).
        checked = [name for name, proxy in fleet.proxies.items() if proxy.accepted_connections]
        fleet.blackhole()
        before = fleet.accepted_connections()
        stop = threading.Event()
        failures: list[str] = []
        statuses: set[str] = set()
        hammers = [
            threading.Thread(target=_hammer, args=(app_server.base_url, stop, failures, statuses))
            for _ in range(2)
        ]
        for hammer in hammers:
            hammer.start()
        started = time.monotonic()
        most: dict[str, int] = dict.fromkeys(checked, 0)
        crowded: list[object] = []
        try:
            while time.monotonic() - started < WINDOW:
                for name in checked:
                    held = connections_to(fleet.proxies[name].port, processes)
                    most[name] = max(most[name], len(held))
                    if len(held) > 1:
                        crowded.append((round(time.monotonic() - started, 2), name, held))
                time.sleep(0.05)
            until(lambda: client.get("/readyz").status_code == 503, "/readyz 503", timeout=10)
        finally:
            stop.set()
            for hammer in hammers:
                hammer.join(10)
            fleet.pass_through()
        elapsed = time.monotonic() - started
        after = fleet.accepted_connections()
    assert failures == []
    assert "/livez 200" in statuses and "/health/details 200" in statuses
    assert crowded_endpoints(most) == {}, crowded
    extra = {n: after[n] - before[n] for n in checked if after[n] - before[n] > elapsed + 2}
    assert extra == {}
    assert app_server.alarms() == []
