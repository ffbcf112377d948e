"""Hanging dependencies never hold requests, and never make checks pile up.

Every dependency is black-holed by a fault proxy: connections open, nothing ever answers.
The health views must keep answering at once (a probe gives up after 1 s), each endpoint must
have at most one check, and so one connection, at any moment, and requests must not add checks.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry

from dephealth_core import DependencyHealth
from tests.support._process import poll_until
from tests.support.app_servers import served_together
from tests.support.procfs import own_sockets_to, socket_inodes, tcp_table

from .adapters import ADAPTERS, APPS
from .fleet import Fleet

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
    # Blocking drivers (ldap3) close their socket on the sync pool's thread, just after stop().
    for name in fleet.declared:
        port = fleet.proxies[name].port
        poll_until(
            lambda port=port: own_sockets_to(port) == 0,
            20,
            f"the {name} checks to close their sockets",
            state=lambda port=port: own_sockets_to(port),
        )


def _hammer(base_url: str, stop: threading.Event, failures: list[str], statuses: set[str]) -> None:
    with httpx.Client(base_url=base_url, timeout=PROBE_TIMEOUT) as client:
        while not stop.is_set():
            for view in VIEWS:
                try:
                    answer = client.get(view)
                except httpx.HTTPError as exc:
                    failures.append(f"{base_url}{view}: {type(exc).__name__}")
                    continue
                statuses.add(f"{view} {answer.status_code}")


@pytest.mark.e2e
def test_views_answer_while_every_dependency_hangs(every_dependency: Fleet, tmp_path: Path) -> None:
    """Every adapter's health views answer within a probe's 1 s while all dependencies hang.

    Starlette under uvicorn, Django and Flask under gunicorn, all three at once, each
    checking every dependency through the same proxies.
    """
    fleet = every_dependency
    with served_together(ADAPTERS, fleet.environ, tmp_path, app_dir=APPS) as servers:
        with httpx.Client(timeout=60) as client:
            for url in (f"{s.base_url}/readyz" for s in servers.values()):
                poll_until(lambda url=url: client.get(url).status_code == 200, 60, "ready")
        processes = {name: [s.pid, *s.children()] for name, s in servers.items()}
        # Every dependency some app checks (Django adds its database and cache aliases).
        checked = [name for name, proxy in fleet.proxies.items() if proxy.accepted_connections]
        fleet.blackhole()
        before = fleet.accepted_connections()
        stop = threading.Event()
        failures: list[str] = []
        statuses: set[str] = set()
        hammers = [
            threading.Thread(target=_hammer, args=(s.base_url, stop, failures, statuses))
            for s in servers.values()
        ]
        for hammer in hammers:
            hammer.start()
        started = time.monotonic()
        most: dict[str, int] = {}
        crowded: list[object] = []
        try:
            while time.monotonic() - started < WINDOW:
                table = tcp_table()
                for app, pids in processes.items():
                    inodes = socket_inodes(pids)
                    for name in checked:
                        port = fleet.proxies[name].port
                        held = [i for i in inodes if table.get(i, (0, ""))[0] == port]
                        key = f"{app} {name}"
                        most[key] = max(most.get(key, 0), len(held))
                        if len(held) > LINGERING.get(name, 1):
                            crowded.append((round(time.monotonic() - started, 2), key, held))
                time.sleep(0.05)
            with httpx.Client(timeout=10) as client:
                for url in (f"{s.base_url}/readyz" for s in servers.values()):
                    poll_until(
                        lambda url=url: client.get(url).status_code == 503, 10, "/readyz 503"
                    )
        finally:
            stop.set()
            for hammer in hammers:
                hammer.join(10)
            fleet.pass_through()
        elapsed = time.monotonic() - started
        after = fleet.accepted_connections()
    assert failures == []
    assert "/livez 200" in statuses and "/health/details 200" in statuses
    assert crowded == []
    # One check per endpoint and interval in each app, whatever the timeouts and requests.
    extra = {n: after[n] - before[n] for n in checked if after[n] - before[n] > 3 * (elapsed + 2)}
    assert extra == {}, (round(elapsed, 1), {n: after[n] - before[n] for n in checked})
    for server in servers.values():
        assert server.alarms() == []
