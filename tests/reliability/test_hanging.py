"""Hanging dependencies never hold requests, and never make checks pile up.

Every dependency is black-holed by a fault proxy: connections open, nothing ever answers.
The health views must keep answering at once (a probe gives up after 1 s), each endpoint must
have at most one check, and so one connection, at any moment, and requests must not add checks.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from prometheus_client import CollectorRegistry

from dephealth_core import DependencyHealth

from .procs import own_sockets_to
from .upstreams import Fleet

pytestmark = [pytest.mark.usefixtures("postgres_dsn", "mysql_params")]

#: How long every dependency stays black-holed while the test watches.
WINDOW = 3.0


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
    assert {name: n for name, n in most.items() if n > 1} == {}
    # One check per endpoint and interval (1 s), whatever the timeouts: no pile-up.
    extra = {n: after[n] - before[n] for n in fleet.declared if after[n] - before[n] > elapsed + 2}
    assert extra == {}
    hanging = {status.name: status.detail for status in details.values()}
    # A TCP check only connects, and a black hole accepts connections.
    assert hanging == {**dict.fromkeys(fleet.declared, "timeout"), "tcp": "ok"}
    for name in fleet.declared:
        assert own_sockets_to(fleet.proxies[name].port) == 0, name
