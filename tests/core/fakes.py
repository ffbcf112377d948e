"""Fake checkers for unit tests of the engine (our own logic only)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dephealth_core import Dependency, Endpoint, Kind, Target


@dataclass
class ScriptedChecker:
    """Async checker whose outcomes follow a script; records start times and concurrency."""

    outcomes: list[BaseException | float | None] = field(default_factory=list)
    default: BaseException | None = None
    starts: list[float] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    cancelled: int = 0
    closed: bool = False

    async def check(self, endpoint: Endpoint) -> None:
        loop = asyncio.get_running_loop()
        self.starts.append(loop.time())
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            outcome = self.outcomes.pop(0) if self.outcomes else self.default
            if isinstance(outcome, float):
                await asyncio.sleep(outcome)
            elif outcome is not None:
                raise outcome
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.in_flight -= 1

    async def aclose(self) -> None:
        self.closed = True


@dataclass
class BlockingChecker:
    """Sync checker: runs in the engine's thread pool; records the threads it ran on."""

    delay: float = 0.0
    threads: set[str] = field(default_factory=set)
    release: threading.Event = field(default_factory=threading.Event)
    wait_for_release: bool = False
    calls: int = 0

    def check(self, endpoint: Endpoint) -> None:
        self.calls += 1
        self.threads.add(threading.current_thread().name)
        if self.wait_for_release:
            self.release.wait(10)


def fake_kind(checker: Any, *, type_: str = "tcp", default_port: int | None = 1) -> Kind:
    def make(dependency: Dependency, target: Target) -> Any:
        return checker

    return Kind(type=type_, default_port=default_port, make_checker=make)


def fake_dependency(
    name: str,
    checker: Any,
    *,
    critical: bool | None = True,
    host: str = "10.0.0.1",
    port: int = 1,
    **kwargs: Any,
) -> Dependency:
    return Dependency(name, fake_kind(checker), critical=critical, host=host, port=port, **kwargs)


def collect(listener_target: list[Any]) -> Callable[[Any], None]:
    return listener_target.append
