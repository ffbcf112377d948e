"""The engine's side of worker sharing: when it joins, and what sharing changes for it.

At each ``start()`` the engine joins the other workers of its app on this host, when sharing is
wanted (:func:`~._worker_coordinator.sharing_wanted`) and it has standalone checks; the
:class:`~._worker_coordinator.WorkerCoordinator` then decides which checks run here, what is
published and what ``/metrics`` exports. Without one, everything runs and is published here.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from ._shared_state import identity, runtime_directory
from ._worker_coordinator import MetricsSource, WorkerCoordinator, sharing_wanted
from ._worker_share import WorkerShare

if TYPE_CHECKING:
    import asyncio

    from ._endpoint_table import EndpointTable, PreparedDependency
    from ._protocols import SnapshotSource
    from ._publisher import SnapshotPublisher
    from ._recorder import Recorder
    from ._scheduler import Scheduler
    from ._snapshot import EndpointStatus

logger = logging.getLogger("dephealth")


class WorkerSharing:
    """Whether one engine shares its standalone checks, and its coordinator while it does.

    Args:
        name: the engine's service name.
        group: the engine's service group.
        option: the engine's ``share_workers`` (``None``: decided by the environment).
        environ: where ``DEPHEALTH_SHARE_WORKERS`` is read.
    """

    def __init__(
        self, name: str, group: str, option: bool | None, environ: Mapping[str, str]
    ) -> None:
        self._service = (name, group)
        self.option = option
        self._environ = environ
        self.coordinator: WorkerCoordinator | None = None

    def metrics_source(self, engine: SnapshotSource) -> MetricsSource:
        """What the engine's metrics collector reads: its snapshot, with the workers' values."""
        return MetricsSource(engine, lambda: self.coordinator)

    def join(
        self,
        table: EndpointTable,
        scheduler: Scheduler,
        recorder: Recorder,
        publisher: SnapshotPublisher,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        """Share standalone checks with this app's other workers on this host, when wanted."""
        self.coordinator = None
        if not sharing_wanted(self.option, self._environ):
            return
        standalone = [p for p in table if p.dependency.source is None]
        if not standalone:
            return
        keys = [e.key for p in standalone for e in p.endpoints]
        name, group = self._service
        try:
            share = WorkerShare(runtime_directory(identity(name, group, keys, os.getppid())))
        except OSError as exc:
            logger.warning(
                "dephealth: worker sharing off, runtime directory unusable error=%s",
                type(exc).__name__,
            )
            return
        self.coordinator = WorkerCoordinator(
            share,
            list(table),
            lambda prepared: scheduler.add(prepared, loop),
            recorder.restore,
            lambda: publisher.request(urgent=True),
            tick=max(0.05, min(1.0, table.shortest_interval(15.0) / 4)),
        )

    def runs_here(self, prepared: PreparedDependency) -> bool:
        """Whether this worker runs the checks of ``prepared`` (always, without sharing)."""
        return self.coordinator is None or self.coordinator.runs_here(prepared)

    def start(
        self, loop: asyncio.AbstractEventLoop, own: Callable[[], Mapping[str, EndpointStatus]]
    ) -> None:
        """Start the coordinator's ticks on the engine's loop; ``own`` reads its statuses."""
        if self.coordinator is not None:
            self.coordinator.start(loop, own)

    def stop(self) -> list[asyncio.Task[None]]:
        """Leave the runtime directory; returns the task for the engine's stop to wait on."""
        task = None if self.coordinator is None else self.coordinator.stop()
        return [task] if task is not None else []

    def detach(self) -> None:
        """After a fork, or when moving to another loop: forget the coordinator."""
        if self.coordinator is not None:
            self.coordinator.detach()
            self.coordinator = None

    @property
    def role(self) -> str:
        """``"leader"``, ``"follower"``, or ``"alone"`` when this worker shares nothing."""
        if self.coordinator is None or self.coordinator.share.closed:
            return "alone"
        return "leader" if self.coordinator.share.leader else "follower"

    def statuses(self, own: Mapping[str, EndpointStatus]) -> Mapping[str, EndpointStatus]:
        """What the engine publishes: ``own``, or what the coordinator makes of it."""
        return own if self.coordinator is None else self.coordinator.statuses(own)
