"""Liveness: a heartbeat on the engine's loop and the ``alive()`` verdict built on it.

``/livez`` must fail when the engine stops making progress: the background thread died, the
loop is blocked, or a check ignores its cancellation and never ends.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from ._endpoint_runner import EndpointRunner


class Liveness:
    """The loop's heartbeat; results count as beats too."""

    def __init__(self) -> None:
        self.last_beat = time.monotonic()
        self.period = 1.0
        self._task: asyncio.Task[None] | None = None

    def start(self, loop: asyncio.AbstractEventLoop, shortest_interval: float) -> None:
        """Beat on ``loop`` a few times per shortest interval (at least once a second)."""
        self.period = min(1.0, shortest_interval / 4)
        self.last_beat = time.monotonic()
        self._task = loop.create_task(self._beat_forever(), name="dephealth-heartbeat")

    def stop(self) -> asyncio.Task[None] | None:
        """Cancel the heartbeat; returns its task for the caller to wait on."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
        return task

    def reset(self) -> None:
        """Forget a heartbeat task of a loop that is gone."""
        self._task = None

    def beat(self) -> None:
        """Note progress."""
        self.last_beat = time.monotonic()

    async def _beat_forever(self) -> None:
        while True:
            self.last_beat = time.monotonic()
            await asyncio.sleep(self.period)

    def verdict(
        self,
        shortest_interval: float,
        runners: Iterable[EndpointRunner],
        thread_alive: bool | None,
    ) -> tuple[bool, str]:
        """``(ok, reason)`` of a running engine.

        Args:
            shortest_interval: the shortest check interval of the engine.
            runners: the engine's endpoint runners.
            thread_alive: whether the background thread runs, ``None`` without one.
        """
        if thread_alive is False:
            return False, "the background checker thread has died"
        stalled_for = time.monotonic() - self.last_beat
        limit = max(2 * shortest_interval, 2 * self.period)
        if stalled_for > limit:
            return False, f"the checker loop has made no progress for {stalled_for:.1f}s"
        now = time.monotonic()
        for runner in runners:
            # A check past its timeout by two intervals ignores its cancellation: its
            # endpoint would keep its last result forever while the loop runs on.
            since = runner.in_flight_since
            settings = runner.settings
            if since is not None and now - since > settings.timeout + 2 * settings.interval:
                return False, (
                    f"the check of {runner.endpoint.key} has not ended for "
                    f"{now - since:.1f}s (timeout {settings.timeout:g}s)"
                )
        return True, "running"
