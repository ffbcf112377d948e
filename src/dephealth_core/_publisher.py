"""Coalesced publication of snapshots.

Every result updates a mutable map on the engine's loop; a snapshot (a copy of that map) is
published soon after. Transitions are published on the next loop turn; results that only move
latency and timestamps are gathered for a short while first, so that ten thousand endpoints do
not copy the whole map ten thousand times a second.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

#: The longest a latency-only result waits before it is visible in a snapshot.
ROUTINE_DELAY = 0.25
#: The least time between two snapshots published for transitions.
URGENT_GAP = 0.005


class Publisher:
    """Calls ``publish`` on the loop, at most once per coalescing window."""

    def __init__(self, publish: Callable[[], None]) -> None:
        self._publish = publish
        self._handle: asyncio.TimerHandle | None = None
        self._due = 0.0
        self._last = float("-inf")

    def request(self, loop: asyncio.AbstractEventLoop, *, urgent: bool) -> None:
        """Ask for a snapshot: soon when ``urgent``, within ``ROUTINE_DELAY`` otherwise."""
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
        self._publish()

    def flush(self) -> None:
        """Publish now and drop a pending request."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._publish()
