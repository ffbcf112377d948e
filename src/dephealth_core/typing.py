"""Public types for adapters, custom checkers and tests: the seams between the core's parts.

Readers of an engine (the metrics collector, the health views, the background runner, an
adapter written by a user) take a :class:`SnapshotSource`, never the engine itself, so they
work with anything that publishes snapshots: a ``DependencyHealth``, a test double, or a
snapshot shared by another process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ._dependency import Checker, CommonOptions
from ._engine import Listener, StateChange
from ._snapshot import EndpointStatus, Snapshot
from ._validation import Duration
from ._view_options import ShowDetails

if TYPE_CHECKING:
    from prometheus_client.registry import CollectorRegistry


@runtime_checkable
class SnapshotSource(Protocol):
    """What readers need of an engine: its latest snapshot, its liveness, its registry."""

    @property
    def snapshot(self) -> Snapshot:
        """The latest published snapshot (immutable; safe to read from any thread)."""
        ...

    @property
    def registry(self) -> CollectorRegistry | None:
        """The registry the engine's metrics are registered in, or ``None`` without metrics."""
        ...

    def alive(self) -> tuple[bool, str]:
        """Whether the engine makes progress, and why not: ``(ok, reason)``."""
        ...


__all__ = [
    "Checker",
    "CommonOptions",
    "Duration",
    "EndpointStatus",
    "Listener",
    "ShowDetails",
    "Snapshot",
    "SnapshotSource",
    "StateChange",
]
