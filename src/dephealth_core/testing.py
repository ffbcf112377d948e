"""Helpers for testing code that uses dephealth, in the spirit of ``structlog.testing``.

- :class:`VirtualTimeLoop` / :func:`run_virtual`: an event loop whose clock jumps to the next
  timer whenever nothing is ready, so an engine checking every 15 s runs minutes of checks in
  milliseconds, deterministically. For code that does no real I/O.
- :class:`ManualChecker` and :func:`manual_check`: a checker whose outcome the test sets.

Example::

    from dephealth_core import ConnectionRefused, DependencyHealth
    from dephealth_core.testing import ManualChecker, manual_check, run_virtual

    checker = ManualChecker()
    dh = DependencyHealth("svc", "team", manual_check("db", checker, critical=True),
                          metrics=False, environ={})

    async def scenario() -> None:
        await dh.start()
        await asyncio.sleep(16)        # virtual seconds: one check at 0 s, one at 15 s
        checker.fail(ConnectionRefused())
        await asyncio.sleep(15)
        await dh.stop()

    run_virtual(scenario())
    assert dh.health() == {"db": False}
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from ._dependency import Dependency, Endpoint, Kind, Target
from ._exceptions import CheckError

T = TypeVar("T")

__all__ = ["ManualChecker", "VirtualTimeLoop", "manual_check", "run_virtual"]


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """A selector loop with a virtual clock that starts at 1000.0."""

    def __init__(self) -> None:
        super().__init__()
        self._now = 1000.0

    def time(self) -> float:
        """The virtual time, in seconds."""
        return self._now

    def _run_once(self) -> None:
        # When no callback is ready, move the clock to the earliest timer so the selector
        # does not wait in real time.
        ready = self._ready  # type: ignore[attr-defined]
        scheduled = self._scheduled  # type: ignore[attr-defined]
        if not ready and scheduled:
            when = scheduled[0]._when
            if when > self._now:
                self._now = when
        super()._run_once()  # type: ignore[misc]


def run_virtual(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion on a fresh :class:`VirtualTimeLoop` and return its result."""
    loop = VirtualTimeLoop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


class ManualChecker:
    """An async checker whose next outcomes the test sets; it records what it was asked.

    Attributes:
        calls: how many checks ran.
        endpoints: the endpoints checked, in order.
    """

    def __init__(self) -> None:
        self._error: BaseException | None = None
        self._hold: asyncio.Event | None = None
        self.calls = 0
        self.endpoints: list[Endpoint] = []

    def set(self, detail: str) -> None:
        """Make the next checks end with a contract detail: ``"ok"``, ``"timeout"``...

        A detail other than ``"ok"`` raises a :class:`CheckError` carrying it.
        """
        self._release()
        self._error = None if detail == "ok" else CheckError(detail=detail)

    def fail(self, error: BaseException) -> None:
        """Make the next checks raise ``error`` (``ConnectionRefused()``, ``OSError()``...)."""
        self._release()
        self._error = error

    def hang(self) -> None:
        """Make the next checks wait until another outcome is set (or their timeout)."""
        self._hold = asyncio.Event()

    def _release(self) -> None:
        if self._hold is not None:
            self._hold.set()
            self._hold = None

    async def check(self, endpoint: Endpoint) -> None:
        """One check: the outcome set last."""
        self.calls += 1
        self.endpoints.append(endpoint)
        hold = self._hold
        if hold is not None:
            await hold.wait()
        if self._error is not None:
            raise self._error


def manual_check(
    name: str,
    checker: Any,
    *,
    critical: bool,
    host: str = "127.0.0.1",
    port: int = 1,
    type: str = "tcp",
    **options: Any,
) -> Dependency:
    """A dependency checked by ``checker`` (a :class:`ManualChecker` or any checker).

    ``options`` are the settings every factory takes: ``interval``, ``timeout``,
    ``initial_delay``, ``failure_threshold``, ``success_threshold``, ``labels``.
    """

    def make(dependency: Dependency, target: Target) -> Any:
        return checker

    kind = Kind(type=type, default_port=None, make_checker=make)
    return Dependency(name, kind, critical=critical, host=host, port=port, **options)
