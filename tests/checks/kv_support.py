"""Helpers for the Redis, LDAP, AMQP and Kafka checker tests (servers and proxies: tests/support).

``tests.support.procfs.own_sockets_to(port)`` counts this process's TCP sockets connected to
``port``. The fault proxy runs in this process, so its upstream connections count too: they are
what the server sees.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from tests.support.fault_proxy import FaultProxy


async def settle(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Wait (polling) until ``predicate()`` is true: closes finish asynchronously."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return predicate()


def black_hole(proxy: FaultProxy, on: bool) -> None:
    """Black-hole the proxy's path, or let it (and the bytes it held) pass again."""
    if on:
        proxy.blackhole()
    else:
        proxy.pass_through()
