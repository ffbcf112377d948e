"""Endpoint statuses on disk, for the worker processes of one app on one host.

A runtime directory (``$XDG_RUNTIME_DIR`` or the temp dir, ``dephealth-<identity>``, mode 0700)
holds:

- ``leader.lock``: the lock the checking worker holds (``flock``; the kernel drops it when
  the process dies, ``kill -9`` included);
- ``standalone.json``: the leader's standalone statuses, with a version;
- ``pool-<pid>.json``: each live worker's pool-mode statuses;
- ``pool-dead.json``: the histograms and transitions of workers gone, summed, so totals never
  go back when a worker exits;
- ``master.json``: the pid of the pre-fork master whose workers these are, if any.

The directory outlives its workers while their master lives (it forks new ones after
``max_requests``, a crash or a reload, and they continue the counts); the last worker to leave
removes it once no master is left, and a directory whose master has gone is removed by the
next engine that shares on the host (:func:`sweep_stale`).

Every file is written whole to a temp file and swapped in with ``os.replace``: a reader sees
the old content or the new one, never half of it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ._snapshot import EndpointStatus, LatencyHistogram, PoolStats

#: Process names of the pre-fork servers whose workers share by default.
MASTERS = ("gunicorn", "uvicorn", "uwsgi", "hypercorn")


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


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (one of another user's counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def identity(name: str, group: str, standalone_keys: Iterable[str], master_pid: int) -> str:
    """The hash that names an app's runtime directory: same app, same user, same master."""
    parts = [name, group, str(os.getuid()), str(master_pid), *sorted(standalone_keys)]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:20]


def runtime_directory(ident: str, base: str | None = None) -> Path:
    """Create (mode 0700) and return the runtime directory of ``ident``."""
    root = Path(base or os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir())
    path = root / f"dephealth-{ident}"
    path.mkdir(mode=0o700, exist_ok=True)
    # In a shared temp dir the name is predictable: refuse a directory someone else made or
    # a symlink planted in its place.
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise PermissionError(f"{path} is not a private directory of this user")
    return path


def sweep_stale(root: Path, keep: Path) -> int:
    """Remove this user's runtime directories in ``root`` whose master has gone; how many.

    Only a directory that names its master is swept: without one, its last worker removes it.
    A directory whose leader lock someone holds is in use, whatever its master file says.
    """
    removed = 0
    for path in root.glob("dephealth-*"):
        try:
            if path == keep or path.is_symlink() or path.stat().st_uid != os.getuid():
                continue
        except OSError:
            continue
        found = read_json(path / "master.json")
        master = found.get("pid") if found else None
        if not isinstance(master, int) or pid_alive(master) or lock_held(path / "leader.lock"):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed += 1
    return removed


def lock_held(path: Path) -> bool:
    """Whether a process holds the ``flock`` on ``path``."""
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False
    try:
        with contextlib.suppress(BlockingIOError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return False
        return True
    finally:
        os.close(fd)


def encode_status(status: EndpointStatus) -> dict[str, Any]:
    """JSON-ready form of every field of ``status``."""
    return {
        "healthy": status.healthy,
        "status": status.status,
        "detail": status.detail,
        "latency": status.latency,
        "type": status.type,
        "name": status.name,
        "host": status.host,
        "port": status.port,
        "critical": status.critical,
        "last_checked_at": _iso(status.last_checked_at),
        "labels": dict(status.labels),
        "last_success_at": _iso(status.last_success_at),
        "consecutive_failures": status.consecutive_failures,
        "transitions": status.transitions,
        "pool": None if status.pool is None else status.pool.to_dict(),
        "histogram": {
            "counts": list(status.histogram.counts),
            "total": status.histogram.total,
            "count": status.histogram.count,
        },
    }


def decode_status(data: Mapping[str, Any]) -> EndpointStatus:
    """The inverse of :func:`encode_status`."""
    histogram = data["histogram"]
    pool = data.get("pool")
    return EndpointStatus(
        healthy=data["healthy"],
        status=data["status"],
        detail=data["detail"],
        latency=float(data["latency"]),
        type=data["type"],
        name=data["name"],
        host=data["host"],
        port=data["port"],
        critical=bool(data["critical"]),
        last_checked_at=_parse(data["last_checked_at"]),
        labels=MappingProxyType(dict(data["labels"])),
        last_success_at=_parse(data["last_success_at"]),
        consecutive_failures=int(data["consecutive_failures"]),
        transitions=int(data["transitions"]),
        pool=None if pool is None else PoolStats(**pool),
        histogram=LatencyHistogram(
            tuple(int(n) for n in histogram["counts"]),
            float(histogram["total"]),
            int(histogram["count"]),
        ),
    )


def write_json(path: Path, payload: Mapping[str, Any]) -> None:
    """Write ``payload`` to ``path`` atomically (temp file in the same directory, replace)."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(payload, handle, separators=(",", ":"))
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``, or ``None`` when it is missing or unreadable."""
    try:
        with path.open() as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_statuses(path: Path, version: int, statuses: Iterable[EndpointStatus]) -> None:
    """Write a versioned set of statuses."""
    write_json(path, {"version": version, "statuses": {s.key: encode_status(s) for s in statuses}})


def read_statuses(path: Path) -> tuple[int, dict[str, EndpointStatus]] | None:
    """``(version, key -> status)`` from a file :func:`write_statuses` wrote, or ``None``."""
    data = read_json(path)
    if data is None:
        return None
    try:
        statuses = {key: decode_status(raw) for key, raw in data["statuses"].items()}
        return int(data["version"]), statuses
    except (KeyError, TypeError, ValueError):
        return None


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _parse(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
