"""The publisher: builds immutable snapshots from the recorder's statuses, coalesced.

Every result updates the recorder's map on the engine's loop; a snapshot (a copy of that map)
is published soon after and swapped in atomically, so readers in any thread take no lock.
Transitions are published on the next loop turn; results that only move latency and
timestamps are gathered for a short while first, so that ten thousand endpoints do not copy
the whole map ten thousand times a second.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from types import MappingProxyType

from ._snapshot import EndpointStatus, ScheduleStats, Snapshot

#: The longest a latency-only result waits before it is visible in a snapshot.
ROUTINE_DELAY = 0.25
#: The least time between two snapshots published for transitions.
URGENT_GAP = 0.005


class SnapshotPublisher:
    """Publishes ``Snapshot`` versions, at most once per coalescing window.

    Args:
        name: the service name the snapshots carry.
        group: the service group.
        statuses: reads the recorder's current statuses.
        lifecycle: reads the engine's state (``"running"``, ``"stopping"``...).
        schedule: reads the scheduler's lateness figures (``None`` before the checks start).
    """

    def __init__(
        self,
        name: str,
        group: str,
        statuses: Callable[[], Mapping[str, EndpointStatus]],
        lifecycle: Callable[[], str],
        schedule: Callable[[], ScheduleStats | None] = lambda: None,
    ) -> None:
        self._name = name
        self._schedule = schedule
        self._group = group
        self._statuses = statuses
        self._lifecycle = lifecycle
        self._version = 0
        self._handle: asyncio.TimerHandle | None = None
        self._due = 0.0
        self._last = float("-inf")
        self.snapshot = Snapshot(0, name, group, MappingProxyType({}))

    def request(self, *, urgent: bool) -> None:
        """Ask for a snapshot: soon when ``urgent``, within ``ROUTINE_DELAY`` otherwise.

        Off a running loop the snapshot is published at once.
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        now = loop.time()
        due = max(now, self._last + URGENT_GAP) if urgent else now + ROUTINE_DELAY
        if self._handle is not None:
            if self._due <= due:
                return
            self._handle.cancel()
        self._due = due
        self._handle = loop.call_at(due, self._fire, loop)

    def _fire(self, loop: asyncio.AbstractEventLoop) -> None:
        self._handle = None
        self._last = loop.time()
        self.publish()

    def flush(self) -> None:
        """Publish now and drop a pending request."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self.publish()

    def reset(self) -> None:
        """Forget a request pending on a loop that is gone (after a fork); versions go on."""
        self._handle = None
        self._last = float("-inf")

    def publish(self) -> None:
        """Build the next snapshot version and swap it in."""
        self._version += 1
        state = self._lifecycle()
        self.snapshot = Snapshot(
            version=self._version,
            name=self._name,
            group=self._group,
            endpoints=MappingProxyType(dict(self._statuses())),
            running=state == "running",
            stopping=state == "stopping",
            schedule=self._schedule() or ScheduleStats(),
        )
