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
file, and the metrics export an aggregate over the workers (see :func:`combine_pool`).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import itertools
import logging
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import _shared_state as store
from ._recorder import unknown_status
from ._snapshot import EndpointStatus, LatencyHistogram, Snapshot
from ._validation import check_bool

if TYPE_CHECKING:
    from prometheus_client.registry import CollectorRegistry

    from ._endpoint_table import PreparedDependency
    from ._protocols import SnapshotSource

logger = logging.getLogger("dephealth")

#: Process names of the pre-fork servers whose workers share by default.
MASTERS = ("gunicorn", "uvicorn", "uwsgi", "hypercorn")
ENV_KEY = "DEPHEALTH_SHARE_WORKERS"

# Two engines of one process may share a directory (tests, several apps): each has its file.
_serial = itertools.count(1)


def master_name(pid: int) -> str | None:
    """The pre-fork server ``pid`` runs (``"gunicorn"``...), or ``None``."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return None
    words = [os.path.basename(word) for word in cmdline.split()[:4]]
    for name in MASTERS:
        if any(word.startswith(name) or word == f"{name}.main" for word in words):
            return name
        if f"-m {name}" in cmdline or f"{name}:" in cmdline or f"/{name} " in cmdline:
            return name
    return None


def sharing_wanted(option: bool | None, environ: Mapping[str, str]) -> bool:
    """``share_workers`` when given, else ``DEPHEALTH_SHARE_WORKERS``, else: under a master."""
    if option is not None:
        return option
    raw = environ.get(ENV_KEY)
    if raw is not None and raw.strip():
        return check_bool(raw, field=ENV_KEY)
    return master_name(os.getppid()) is not None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def combine_pool(entries: Sequence[EndpointStatus], dead: EndpointStatus | None) -> EndpointStatus:
    """The aggregate of one pool-mode endpoint over the workers, for the metrics.

    Health, status and detail are the worst worker's (unhealthy before unknown before
    healthy; the first entry, this worker's, on a tie); the histogram and transitions are
    summed over the live workers and the workers gone, so they never decrease; latency is the
    largest, last success the latest.
    """

    def rank(status: EndpointStatus) -> int:
        return 0 if status.healthy is False else 1 if status.healthy is None else 2

    worst = min(entries, key=rank)
    parts = [s.histogram for s in entries] + ([dead.histogram] if dead is not None else [])
    counts = [sum(h.counts[i] for h in parts) for i in range(len(parts[0].counts))]
    successes = [s.last_success_at for s in entries if s.last_success_at is not None]
    return replace(
        worst,
        latency=max(s.latency for s in entries),
        transitions=sum(s.transitions for s in entries) + (dead.transitions if dead else 0),
        last_success_at=max(successes) if successes else None,
        histogram=LatencyHistogram(
            tuple(counts), sum(h.total for h in parts), sum(h.count for h in parts)
        ),
    )


class WorkerShare:
    """One worker's side of the runtime directory: the lock, the shared and per-pid files."""

    def __init__(self, directory: Path, pid: int | None = None) -> None:
        self.directory = directory
        self.pid = os.getpid() if pid is None else pid
        self.leader = False
        self._lock_fd: int | None = None
        self._standalone_path = directory / "standalone.json"
        self._dead_path = directory / "pool-dead.json"
        self._own_path = directory / f"pool-{self.pid}-{next(_serial)}.json"
        self._seen: tuple[int, int] | None = None
        self.shared: dict[str, EndpointStatus] = {}
        self.shared_version = 0
        self._pool_version = 0
        self.closed = False

    # -- leader election ----------------------------------------------------------------

    def try_lead(self) -> bool:
        """Take the leader lock if nobody holds it; True once this worker holds it."""
        if self.leader:
            return True
        if self._lock_fd is None:
            self._lock_fd = os.open(self.directory / "leader.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        self.leader = True
        self.refresh()
        return True

    # -- standalone statuses ------------------------------------------------------------

    def refresh(self) -> bool:
        """Read the shared file if it changed since the last read; True when it did."""
        try:
            info = self._standalone_path.stat()
        except FileNotFoundError:
            return False
        seen = (info.st_mtime_ns, info.st_ino)
        if seen == self._seen:
            return False
        found = store.read_statuses(self._standalone_path)
        if found is None or found[0] < self.shared_version:
            return False
        self._seen = seen
        self.shared_version, self.shared = found
        return True

    def write_standalone(self, statuses: Sequence[EndpointStatus]) -> None:
        """The leader's statuses, after a publish; each write has the next version."""
        self.shared_version += 1
        store.write_statuses(self._standalone_path, self.shared_version, statuses)
        self.shared = {s.key: s for s in statuses}

    # -- pool-mode statuses -------------------------------------------------------------

    def write_pool(self, statuses: Sequence[EndpointStatus]) -> None:
        """This worker's pool-mode statuses (also its sign of life in the directory)."""
        self._pool_version += 1
        store.write_statuses(self._own_path, self._pool_version, statuses)

    def pool_files(self) -> dict[Path, int]:
        """Every other worker's per-pid file -> its pid."""
        found: dict[Path, int] = {}
        for path in self.directory.glob("pool-*.json"):
            pid = path.stem.removeprefix("pool-").partition("-")[0]
            if pid.isdigit() and path != self._own_path:
                found[path] = int(pid)
        return found

    def fold_dead(self) -> int:
        """Fold the per-pid files of dead workers into ``pool-dead.json``; how many folded."""
        folded = 0
        for path, pid in self.pool_files().items():
            if not _alive(pid):
                folded += self._fold(path)
        return folded

    def _fold(self, path: Path) -> int:
        # Renamed first: of two workers folding the same file, exactly one wins the rename.
        claimed = path.with_name(f".fold-{self.pid}-{path.name}")
        try:
            os.rename(path, claimed)
        except FileNotFoundError:
            return 0
        with self._fold_lock():
            found = store.read_statuses(claimed)
            version, dead = store.read_statuses(self._dead_path) or (0, {})
            for key, status in (found[1] if found else {}).items():
                dead[key] = combine_pool([status], dead.get(key))
            store.write_statuses(self._dead_path, version + 1, dead.values())
            claimed.unlink(missing_ok=True)
        return 1

    @contextlib.contextmanager
    def _fold_lock(self) -> Any:
        fd = os.open(self.directory / "fold.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def pool_aggregate(self, own: Mapping[str, EndpointStatus]) -> dict[str, EndpointStatus]:
        """Key -> :func:`combine_pool` over this worker (``own``), the others and the dead."""
        for _ in range(5):
            before = self._dead_version()
            others: list[dict[str, EndpointStatus]] = []
            for path in self.pool_files():
                found = store.read_statuses(path)
                if found is not None:
                    others.append(found[1])
            dead = store.read_statuses(self._dead_path)
            # A fold between the two reads would count a worker twice or not at all.
            if (dead[0] if dead else 0) == before:
                break
        dead_statuses = dead[1] if dead else {}
        return {
            key: combine_pool(
                [status, *(o[key] for o in others if key in o)], dead_statuses.get(key)
            )
            for key, status in own.items()
        }

    def _dead_version(self) -> int:
        found = store.read_statuses(self._dead_path)
        return found[0] if found else 0

    # -- lifecycle ------------------------------------------------------------------------

    def close(self) -> None:
        """Leave: fold this worker's counts, give up the lock, remove the directory if last."""
        if self._own_path.exists():
            self._fold(self._own_path)
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the lock
            self._lock_fd = None
        self.leader = False
        self.closed = True
        if not any(_alive(pid) for pid in self.pool_files().values()):
            shutil.rmtree(self.directory, ignore_errors=True)

    def detach(self) -> None:
        """In a forked child: drop the parent's descriptor without touching its lock."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
        self.leader = False


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
        if share.try_lead():
            logger.info("dephealth: this worker runs the shared checks pid=%d", share.pid)

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
        logger.info("dephealth: this worker now runs the shared checks pid=%d", self.share.pid)
        for prepared in self._dependencies:
            if prepared.dependency.source is None:
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
