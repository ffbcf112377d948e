"""Helpers for the Redis, LDAP, AMQP and Kafka checker tests (servers and proxies: tests/support).

``open_sockets(port)`` counts this process's TCP sockets connected to ``port``: it asks each
socket descriptor of ``/proc/self/fd`` (duplicated) for its peer. The fault proxy runs in this
process, so its upstream connections count too: they are what the server sees.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Callable

from tests.support.fault_proxy import FaultProxy


def open_sockets(port: int) -> int:
    """How many TCP sockets of this process are connected to remote ``port``.

    The system-wide ``/proc/net/tcp`` table is not read: it holds every TIME_WAIT of the
    machine, and reading it took tens of milliseconds a call on a busy test machine.
    """
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if not os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                continue
            duplicate = os.dup(int(fd))
        except OSError:
            continue
        sock = socket.socket(fileno=duplicate)
        try:
            tcp = sock.type == socket.SOCK_STREAM and sock.family in (
                socket.AF_INET,
                socket.AF_INET6,
            )
            if tcp and sock.getpeername()[1] == port:
                count += 1
        except OSError:
            pass  # listening or not connected
        finally:
            sock.close()
    return count


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
