"""Many workers, one answer: standalone checks shared by the worker processes of a host.

Workers of one app on one host (same service name, group, standalone endpoints, user and
master process, see :func:`~._shared_state.identity`) elect a leader with
``flock(LOCK_EX | LOCK_NB)`` on a lock file. The leader runs the standalone checks and writes
their statuses to a shared file after each publish; followers run no standalone check, read
that file and publish its statuses as their own. Followers try the lock at every tick and take
over within one interval when the leader dies (the kernel drops the lock on ``kill -9``); a
new leader first loads the shared file, so counters continue and never go back.

Pool-mode checks stay per worker (each worker has its own pool): each worker's snapshot, and
so its ``/readyz``, uses its own pool results; each worker also writes them to its per-pid
file, and the metrics export an aggregate over the workers
(:func:`~._worker_share.combine_pool`).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ._recorder import unknown_status
from ._shared_state import master_name
from ._snapshot import EndpointStatus, Snapshot
from ._validation import check_bool
from ._worker_share import WorkerShare

if TYPE_CHECKING:
    from prometheus_client.registry import CollectorRegistry

    from ._endpoint_table import PreparedDependency
    from ._protocols import SnapshotSource

logger = logging.getLogger("dephealth")

ENV_KEY = "DEPHEALTH_SHARE_WORKERS"


def sharing_wanted(option: bool | None, environ: Mapping[str, str]) -> bool:
    """``share_workers`` when given, else ``DEPHEALTH_SHARE_WORKERS``, else: under a master."""
    if option is not None:
        return option
    raw = environ.get(ENV_KEY)
    if raw is not None and raw.strip():
        return check_bool(raw, field=ENV_KEY)
    return master_name(os.getppid()) is not None


class WorkerCoordinator:
    """Ties a :class:`WorkerShare` to one engine: what it checks, publishes and exports.

    Args:
        share: this worker's side of the runtime directory.
        dependencies: the engine's prepared dependencies, in order.
        start_checks: starts the checks of a dependency on the engine's loop.
        restore: puts a status loaded from the shared file back into the recorder.
        request_publish: asks the engine for a new snapshot.
        tick: seconds between two looks at the lock and the files.
    """

    def __init__(
        self,
        share: WorkerShare,
        dependencies: Sequence[PreparedDependency],
        start_checks: Callable[[PreparedDependency], None],
        restore: Callable[[EndpointStatus], None],
        request_publish: Callable[[], None],
        tick: float,
    ) -> None:
        self.share = share
        self._dependencies = list(dependencies)
        self._start_checks = start_checks
        self._restore = restore
        self._request_publish = request_publish
        self.tick = tick
        self._task: asyncio.Task[None] | None = None
        self.standalone_keys = {
            e.key for p in self._dependencies if p.dependency.source is None for e in p.endpoints
        }
        # Leadership is taken on the first tick, never here: one path (take over, restore the
        # shared statuses, start the checks) for the first leader and for every later one.

    def runs_here(self, prepared: PreparedDependency) -> bool:
        """Whether this worker checks ``prepared`` itself (pool mode, or the leader)."""
        return prepared.dependency.source is not None or self.share.leader

    def statuses(self, own: Mapping[str, EndpointStatus]) -> Mapping[str, EndpointStatus]:
        """What this worker publishes: its own statuses, standalone ones from the leader.

        Called at each publish; the leader writes the shared file here.
        """
        if self.share.leader:
            standalone = [s for k, s in own.items() if k in self.standalone_keys]
            try:
                self.share.write_standalone(standalone)
            except OSError as exc:
                logger.warning("dephealth: worker sharing failed error=%s", type(exc).__name__)
            return own
        merged: dict[str, EndpointStatus] = {}
        for prepared in self._dependencies:
            for endpoint in prepared.endpoints:
                key = endpoint.key
                found = own.get(key) or self.share.shared.get(key)
                if found is None and key in self.standalone_keys:
                    found = unknown_status(endpoint)
                if found is not None:
                    merged[key] = found
        for key, status in own.items():
            merged.setdefault(key, status)
        return merged

    def metrics_snapshot(self, snapshot: Snapshot) -> Snapshot:
        """``snapshot`` as the metrics export it: fresh shared statuses, pool aggregates."""
        endpoints = dict(snapshot.endpoints)
        if self.share.closed:
            return snapshot
        if not self.share.leader:
            self.share.refresh()
        # The leader too exports what it has written, never a snapshot the others have not
        # seen: just after a takeover its published snapshot may be older than the file.
        for key in self.standalone_keys:
            if key in self.share.shared:
                endpoints[key] = self.share.shared[key]
        pool = {k: s for k, s in endpoints.items() if k not in self.standalone_keys and s.checked}
        if pool:
            endpoints.update(self.share.pool_aggregate(pool))
        return replace(snapshot, endpoints=endpoints)

    def start(self, loop: asyncio.AbstractEventLoop, own: Callable[[], Mapping[str, Any]]) -> None:
        """Start the tick task on the engine's loop."""
        self._task = loop.create_task(self._run(own), name="dephealth-workers")

    async def _run(self, own: Callable[[], Mapping[str, EndpointStatus]]) -> None:
        while True:
            try:
                self._step(own())
            except OSError as exc:
                logger.warning("dephealth: worker sharing failed error=%s", type(exc).__name__)
            await asyncio.sleep(self.tick)

    def _step(self, own: Mapping[str, EndpointStatus]) -> None:
        if not self.share.leader:
            if self.share.try_lead():
                self._take_over()
            elif self.share.refresh():
                self._request_publish()
        self.share.write_pool([s for k, s in own.items() if k not in self.standalone_keys])
        self.share.fold_dead()

    def _take_over(self) -> None:
        logger.info("dephealth: this worker runs the shared checks pid=%d", self.share.pid)
        for prepared in self._dependencies:
            if prepared.dependency.source is None:
                # Starting tracks the endpoints from unknown; the first check runs later, on
                # the restored status, so its result continues the counts.
                self._start_checks(prepared)
                for endpoint in prepared.endpoints:
                    found = self.share.shared.get(endpoint.key)
                    if found is not None:
                        self._restore(found)
        self._request_publish()

    def stop(self) -> asyncio.Task[None] | None:
        """Cancel the tick task (returned, for the engine to wait on) and leave the directory."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
        self.share.close()
        return task

    def detach(self) -> None:
        """After a fork: forget the parent's task and descriptor."""
        self._task = None
        self.share.detach()


class MetricsSource:
    """The ``SnapshotSource`` the metrics collector reads: the engine's, aggregated."""

    def __init__(
        self, engine: SnapshotSource, coordinator: Callable[[], WorkerCoordinator | None]
    ) -> None:
        self._engine = engine
        self._coordinator = coordinator

    @property
    def snapshot(self) -> Snapshot:
        """The engine's snapshot, with the workers' shared and aggregated values."""
        snapshot = self._engine.snapshot
        coordinator = self._coordinator()
        if coordinator is None:
            return snapshot
        try:
            return coordinator.metrics_snapshot(snapshot)
        except OSError:
            return snapshot

    @property
    def registry(self) -> CollectorRegistry | None:
        """The engine's registry."""
        return self._engine.registry

    def alive(self) -> tuple[bool, str]:
        """The engine's liveness."""
        return self._engine.alive()
