"""Background mode: an engine's checks on the process's background thread, for sync apps.

WSGI apps, Django and scripts have no running event loop; these methods run the engine's own
``start()``, ``stop()`` and ``check_now()`` on the :class:`~._background.BackgroundRunner`'s
loop and wait for them, bounded. The runner knows the engine only as a ``BackgroundService``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from ._background import BackgroundRunner, track_background, untrack_background
from ._protocols import BackgroundService
from ._scheduler import STOP_GRACE

if TYPE_CHECKING:
    from ._snapshot import EndpointStatus


class _Engine(Protocol):
    """What background mode needs of ``DependencyHealth``: its lifecycle on a loop."""

    _runner: BackgroundRunner | None
    _state: str

    async def start(self) -> None: ...
    async def stop(self, timeout: float = ...) -> None: ...
    async def check_now(self) -> dict[str, EndpointStatus]: ...


class _TrackedEngine(_Engine, BackgroundService, Protocol):
    """An engine the background runner stops at exit and ``_fork`` starts again in a child."""


class BackgroundModeMixin:
    """The ``*_background`` and ``*_sync`` methods of ``DependencyHealth``, callable from any
    thread that runs no event loop."""

    _runner: BackgroundRunner | None

    def start_background(self: _TrackedEngine, timeout: float = 30.0) -> None:
        """Start checking in the process's background thread (for WSGI and sync apps)."""
        runner = BackgroundRunner.get()
        self._runner = runner
        runner.run(self.start(), timeout=timeout)
        track_background(self)

    def stop_background(self: _TrackedEngine, timeout: float = STOP_GRACE + 1.0) -> None:
        """Stop checks started with :meth:`start_background`; idempotent and bounded."""
        untrack_background(self)
        runner = self._runner
        if runner is None or self._state != "running":
            return
        if not runner.alive:
            self._state = "stopped"
            return
        runner.run(self.stop(timeout=timeout - 1.0), timeout=timeout)

    def start_sync(self: _TrackedEngine) -> None:
        """dephealth's name for :meth:`start_background`."""
        self.start_background()

    def stop_sync(self: _TrackedEngine) -> None:
        """dephealth's name for :meth:`stop_background`."""
        self.stop_background()

    def check_now_background(self: _Engine, timeout: float = 60.0) -> dict[str, EndpointStatus]:
        """:meth:`check_now` from a thread with no running loop (Django, Flask, scripts)."""
        runner = self._runner if self._runner is not None else BackgroundRunner.get()
        self._runner = runner
        result: dict[str, EndpointStatus] = runner.run(self.check_now(), timeout=timeout)
        return result
