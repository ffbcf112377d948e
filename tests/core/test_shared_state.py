"""The shared-state files: statuses survive the round trip, writes are whole, identities differ."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType

from dephealth_core._shared_state import (
    identity,
    read_statuses,
    runtime_directory,
    write_statuses,
)
from dephealth_core._snapshot import EndpointStatus, LatencyHistogram, PoolStats


def status(name: str = "api", count: int = 3, healthy: bool | None = True) -> EndpointStatus:
    histogram = LatencyHistogram()
    for _ in range(count):
        histogram = histogram.observe(0.02)
    return EndpointStatus(
        healthy=healthy,
        status="ok" if healthy else "connection_error",
        detail="ok" if healthy else "connection_refused",
        latency=0.02,
        type="tcp",
        name=name,
        host="127.0.0.1",
        port="9",
        critical=True,
        last_checked_at=datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=UTC),
        labels=MappingProxyType({"zone": "a"}),
        last_success_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        consecutive_failures=0,
        transitions=2,
        pool=PoolStats(size=2, idle=1, in_use=1, max=4),
        histogram=histogram,
    )


def test_every_field_survives_the_round_trip(tmp_path: Path) -> None:
    """What a follower reads back equals what the leader wrote, histogram included."""
    original = status()
    write_statuses(tmp_path / "s.json", 7, [original])
    found = read_statuses(tmp_path / "s.json")
    assert found is not None
    version, statuses = found
    assert version == 7
    assert statuses[original.key] == original
    assert statuses[original.key].histogram == original.histogram


def test_a_missing_or_broken_file_reads_as_none(tmp_path: Path) -> None:
    """A follower that finds no file, or a foreign one, keeps what it had."""
    assert read_statuses(tmp_path / "none.json") is None
    (tmp_path / "bad.json").write_text("{not json")
    assert read_statuses(tmp_path / "bad.json") is None
    (tmp_path / "odd.json").write_text('{"version": 1}')
    assert read_statuses(tmp_path / "odd.json") is None


def test_writes_leave_no_temp_files(tmp_path: Path) -> None:
    """Each write is a temp file swapped in; none is left behind."""
    for version in range(5):
        write_statuses(tmp_path / "s.json", version, [status()])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json"]


def test_identity_keeps_apps_and_masters_apart() -> None:
    """Another service, group, endpoint set or master gives another directory."""
    base = identity("orders", "shop", ["a:h:1", "b:h:2"], 100)
    assert identity("orders", "shop", ["b:h:2", "a:h:1"], 100) == base
    assert identity("payments", "shop", ["a:h:1", "b:h:2"], 100) != base
    assert identity("orders", "other", ["a:h:1", "b:h:2"], 100) != base
    assert identity("orders", "shop", ["a:h:1"], 100) != base
    assert identity("orders", "shop", ["a:h:1", "b:h:2"], 101) != base


def test_runtime_directory_is_private(tmp_path: Path) -> None:
    """The directory is created with mode 0700, under the given base."""
    path = runtime_directory("abc", base=str(tmp_path))
    assert path.parent == tmp_path
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o700


def test_a_planted_symlink_or_open_directory_is_refused(tmp_path: Path) -> None:
    """A symlink or a group-writable directory in place of ours is not used."""
    import pytest

    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    (tmp_path / "dephealth-planted").symlink_to(target)
    with pytest.raises(PermissionError):
        runtime_directory("planted", base=str(tmp_path))
    opened = tmp_path / "dephealth-open"
    opened.mkdir()
    opened.chmod(0o777)
    with pytest.raises(PermissionError):
        runtime_directory("open", base=str(tmp_path))
