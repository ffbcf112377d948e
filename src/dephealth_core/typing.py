"""Public types for adapters, custom checkers and tests: the seams between the core's parts.

Readers of an engine (the metrics collector, the health views, the background runner, an
adapter written by a user) take a :class:`SnapshotSource`, never the engine itself, so they
work with anything that publishes snapshots: a ``DependencyHealth``, a test double, or a
snapshot shared by another process.
"""

from __future__ import annotations

from ._dependency import Checker, CommonOptions
from ._flat_keys import EngineSettings
from ._protocols import BackgroundService, SnapshotSource
from ._recorder import Listener, StateChange
from ._snapshot import EndpointStatus, Snapshot
from ._validation import Duration
from ._view_options import ShowDetails

__all__ = [
    "BackgroundService",
    "Checker",
    "CommonOptions",
    "Duration",
    "EndpointStatus",
    "EngineSettings",
    "Listener",
    "ShowDetails",
    "Snapshot",
    "SnapshotSource",
    "StateChange",
]
