"""The small protocols the core's parts meet at (re-exported by :mod:`dephealth_core.typing`).

A leaf module: it imports nothing of the engine, so every reader (the metrics collector, the
views, the background runner) can depend on it without an import circle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from prometheus_client.registry import CollectorRegistry

    from ._snapshot import Snapshot


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


@runtime_checkable
class BackgroundService(Protocol):
    """What the background runner and the fork handling need of an engine they run."""

    @property
    def name(self) -> str:
        """The service name, for log lines."""
        ...

    def reset_after_fork(self) -> None:
        """In a forked child: forget the parent's loop, tasks and threads."""
        ...

    def start_background(self, timeout: float = ...) -> None:
        """Start checking in the process's background thread."""
        ...

    def stop_background(self, timeout: float = ...) -> None:
        """Stop checking in the background thread; idempotent and bounded."""
        ...
