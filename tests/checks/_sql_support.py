"""Helpers shared by the SQL checker tests: one-shot engines, polling, socket counts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import CollectorRegistry

from dephealth_core import DependencyHealth, EndpointStatus
from tests.support.procfs import own_sockets_to


def engine(*dependencies: Any, timeout: float = 2.0) -> DependencyHealth:
    """An engine for one test, on a registry of its own."""
    return DependencyHealth(
        "svc",
        "team",
        *dependencies,
        timeout=timeout,
        check_interval=30,
        registry=CollectorRegistry(),
    )


async def check_one(dependency: Any, timeout: float = 2.0) -> EndpointStatus:
    """Check a one-endpoint dependency once through the engine; return its status."""
    (status,) = (await engine(dependency, timeout=timeout).check_now()).values()
    return status


async def settle(probe: Callable[[], Awaitable[int]], expected: int, limit: float = 10.0) -> int:
    """Poll ``probe`` until it returns ``expected`` (bounded); return the last value."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    value = await probe()
    while value != expected and loop.time() < deadline:
        await asyncio.sleep(0.05)
        value = await probe()
    return value


async def open_sockets_to(port: int) -> int:
    """Sockets of this process connected to ``port`` (an awaitable for ``settle``)."""
    return own_sockets_to(port)
