"""One worker's side of the runtime directory: the leader lock, the shared and per-pid files.

See :mod:`._shared_state` for the files and :mod:`._worker_coordinator` for how an engine
uses them. Pool-mode results of the workers combine with :func:`combine_pool`.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import os
import shutil
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import _shared_state as store
from ._snapshot import EndpointStatus, LatencyHistogram

# Two engines of one process may share a directory (tests, several apps): each has its file.
_serial = itertools.count(1)


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
    """One worker's side of the runtime directory: the lock, the shared and per-pid files.

    Args:
        directory: the app's runtime directory (:func:`~._shared_state.runtime_directory`).
        pid: this worker's pid.
        master: the pid of the pre-fork master that forks this app's workers; by default the
            parent, when it is one (:func:`~._shared_state.master_name`). While it lives, the
            directory stays when the last worker leaves, so that the workers it forks next
            continue the counts.
    """

    def __init__(self, directory: Path, pid: int | None = None, master: int | None = None) -> None:
        self.directory = directory
        self.pid = os.getpid() if pid is None else pid
        if master is None:
            parent = os.getppid()
            master = parent if store.master_name(parent) is not None else None
        self.master = master
        if master is not None:
            store.write_json(directory / "master.json", {"pid": master})
            store.sweep_stale(directory.parent, keep=directory)
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
        self._refresh_lock = threading.Lock()

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
        # Scrapes in request threads and the tick on the loop both refresh: without the lock
        # a slower reader could put an older version back after a newer one.
        with self._refresh_lock:
            return self._refresh()

    def _refresh(self) -> bool:
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
            if not store.pid_alive(pid):
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
        if self.master is not None and store.pid_alive(self.master):
            return
        if not any(store.pid_alive(pid) for pid in self.pool_files().values()):
            shutil.rmtree(self.directory, ignore_errors=True)

    def detach(self) -> None:
        """In a forked child: drop the parent's descriptor without touching its lock."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
        self.leader = False
