"""Helpers for the Starlette adapter's tests: a controllable checker and an ASGI lifespan driver.

The stub is a ``Dependency`` of our own ``Kind``, so these tests need no database driver.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.types import ASGIApp, Message

from dephealth_core import ConfigError, Dependency, Endpoint, Kind, Target, Unhealthy


@dataclass
class Probe:
    """What the stub checker answers, and what it saw."""

    healthy: bool = True
    hold: asyncio.Event | None = None
    started: asyncio.Event = field(default_factory=asyncio.Event)
    sources: list[Any] = field(default_factory=list)


class StubChecker:
    def __init__(self, probe: Probe, source: Any) -> None:
        self.probe = probe
        self.probe.sources.append(source)

    async def check(self, endpoint: Endpoint) -> None:
        self.probe.started.set()
        if self.probe.hold is not None:
            await self.probe.hold.wait()
        if not self.probe.healthy:
            raise Unhealthy("stub says no")


@dataclass(frozen=True)
class FakePool:
    """Stands for an application's pool: the stub reads its address from it."""

    host: str = "pool.test"
    port: int = 9


def _pool_hosts(dependency: Dependency, source: Any) -> list[tuple[str, str]]:
    if not isinstance(source, FakePool):
        raise ConfigError(
            f"unsupported pool type {type(source).__name__}",
            dependency=dependency.name,
            field="pool",
        )
    return [(source.host, str(source.port))]


def _make_checker(dependency: Dependency, target: Target) -> StubChecker:
    return StubChecker(dependency.options["probe"], target.source)


STUB_KIND = Kind(
    type="stub",
    default_port=9,
    make_checker=_make_checker,
    source_hosts=_pool_hosts,
    is_source=lambda obj: isinstance(obj, FakePool),
)


def stub_check(
    name: str, probe: Probe, *, critical: bool = True, pool: Any = None, **common: Any
) -> Dependency:
    """A dependency checked by ``probe``; ``pool`` (a FakePool or a callable) gives its address."""
    return Dependency(
        name,
        STUB_KIND,
        critical=critical,
        host=None if pool is not None else "stub.test",
        options={"probe": probe},
        source=pool,
        **common,
    )


class LifespanFailed(Exception):
    """The app answered ``lifespan.startup.failed``."""


@asynccontextmanager
async def lifespan(app: ASGIApp) -> AsyncIterator[dict[str, Any]]:
    """Drive the ASGI lifespan as a server does: startup on enter, shutdown on exit."""
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    outbox: asyncio.Queue[Message] = asyncio.Queue()
    state: dict[str, Any] = {}
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": state}
    task: asyncio.Future[None] = asyncio.ensure_future(app(scope, inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    message = await outbox.get()
    if message["type"] == "lifespan.startup.failed":
        await asyncio.gather(task, return_exceptions=True)
        raise LifespanFailed(message.get("message", ""))
    assert message["type"] == "lifespan.startup.complete"
    try:
        yield state
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        message = await outbox.get()
        await task
        assert message["type"] == "lifespan.shutdown.complete", message


def client(app: ASGIApp, root_path: str = "") -> httpx.AsyncClient:
    """An in-process client (httpx's ASGI transport runs no lifespan: see :func:`lifespan`)."""
    transport = httpx.ASGITransport(app=app, root_path=root_path)
    return httpx.AsyncClient(transport=transport, base_url="http://app.test")
