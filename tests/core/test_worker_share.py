"""Leader election, takeover after kill -9, pool aggregates, clean-up of the runtime directory."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType

import pytest

from dephealth_core import DependencyHealth, tcp_check
from dephealth_core import _shared_state as store
from dephealth_core._exceptions import ConfigError
from dephealth_core._snapshot import LatencyHistogram, Snapshot
from dephealth_core._worker_coordinator import WorkerCoordinator, sharing_wanted
from dephealth_core._worker_share import WorkerShare, combine_pool
from tests.core.test_shared_state import status
from tests.support.stubs import TcpStubServer

REPO = Path(__file__).resolve().parents[2]


def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_one_leader_at_a_time(tmp_path: Path) -> None:
    """Of two workers on one directory only one leads; the other leads once it has gone."""
    first, second = WorkerShare(tmp_path, pid=1), WorkerShare(tmp_path, pid=2)
    assert first.try_lead()
    assert not second.try_lead()
    first.detach()  # the process holding the lock is gone
    assert second.try_lead()
    second.close()


def test_takeover_after_kill_9(tmp_path: Path) -> None:
    """The kernel drops the lock of a worker killed with SIGKILL; another takes it."""
    code = (
        "import sys, time; from pathlib import Path;"
        "from dephealth_core._worker_share import WorkerShare;"
        f"s = WorkerShare(Path({str(tmp_path)!r})); assert s.try_lead();"
        "print('led', flush=True); time.sleep(600)"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "led"
        follower = WorkerShare(tmp_path)
        assert not follower.try_lead()
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
        wait_for(follower.try_lead)
        follower.close()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_a_new_leader_continues_the_counts(tmp_path: Path) -> None:
    """A follower that takes over starts from the shared statuses, not from zero."""
    leader, follower = WorkerShare(tmp_path, pid=1), WorkerShare(tmp_path, pid=2)
    assert leader.try_lead()
    leader.write_standalone([status(count=9)])
    assert follower.refresh()
    assert not follower.refresh()  # unchanged since the last read
    leader.detach()
    assert follower.try_lead()
    assert follower.shared[status().key].histogram.count == 9
    follower.write_standalone([status(count=10)])
    assert follower.shared_version == leader.shared_version + 1


def test_pool_aggregate_is_worst_health_and_summed_counts() -> None:
    """The metrics show the worst worker's health and the sum of every worker's counts."""
    mine, other, dead = status(count=2), status(count=3, healthy=False), status(count=5)
    combined = combine_pool([mine, other], dead)
    assert combined.healthy is False
    assert combined.detail == "connection_refused"
    assert combined.histogram.count == 10
    assert sum(combined.histogram.counts) == 10
    assert combined.transitions == 6


def test_dead_workers_are_folded_and_totals_never_drop(tmp_path: Path) -> None:
    """A dead worker's file is folded into the dead totals: the summed count stays."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    mine, gone = WorkerShare(tmp_path, pid=os.getpid()), WorkerShare(tmp_path, pid=child.pid)
    gone.write_pool([status(count=4)])
    own = {status().key: status(count=1)}
    before = mine.pool_aggregate(own)[status().key].histogram.count
    assert mine.fold_dead() == 1
    assert not list(tmp_path.glob(f"pool-{child.pid}-*.json"))
    after = mine.pool_aggregate(own)[status().key].histogram.count
    assert before == after == 5


def test_last_worker_removes_the_directory(tmp_path: Path) -> None:
    """The directory goes when the last worker leaves, not before."""
    directory = tmp_path / "dephealth-x"
    directory.mkdir()
    mine = WorkerShare(directory)
    assert mine.try_lead()
    mine.write_pool([])
    mine.close()
    assert not directory.exists()


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_directory_outlives_its_workers_while_the_master_lives(tmp_path: Path) -> None:
    """Every worker replaced at once: the next ones find the counts; the master gone: removed."""
    directory = tmp_path / "dephealth-x"
    directory.mkdir()
    first = WorkerShare(directory, master=os.getpid())
    assert first.try_lead()
    first.write_standalone([status(count=7)])
    first.close()
    assert (directory / "standalone.json").exists()
    successor = WorkerShare(directory, master=os.getpid())
    assert successor.try_lead()
    assert successor.shared[status().key].histogram.count == 7
    successor.master = _dead_pid()
    successor.close()
    assert not directory.exists()


def test_directories_of_masters_gone_are_swept(tmp_path: Path) -> None:
    """A new sharing engine removes the directories whose master is dead, and only those."""

    def directory(name: str, master: int | None) -> Path:
        path = tmp_path / f"dephealth-{name}"
        path.mkdir()
        if master is not None:
            store.write_json(path / "master.json", {"pid": master})
        return path

    gone, alive = directory("gone", _dead_pid()), directory("alive", 1)
    unnamed = directory("unnamed", None)
    in_use = directory("in-use", _dead_pid())
    holder = WorkerShare(in_use, pid=os.getpid())
    assert holder.try_lead()
    mine = directory("mine", None)
    WorkerShare(mine, master=os.getpid())
    assert not gone.exists()
    assert alive.exists() and unnamed.exists() and in_use.exists() and mine.exists()
    holder.detach()


def test_the_leader_exports_what_it_has_written(tmp_path: Path) -> None:
    """Just after a takeover the leader's snapshot may be older than the file: never exported."""
    share = WorkerShare(tmp_path, pid=1)
    share.write_standalone([status(count=9)])
    assert share.try_lead()
    coordinator = WorkerCoordinator(share, [], lambda p: None, lambda s: None, lambda: None, 1.0)
    coordinator.standalone_keys = {status().key}
    older = Snapshot(1, "svc", "grp", MappingProxyType({status().key: status(count=8)}))
    exported = coordinator.metrics_snapshot(older)
    assert exported.endpoints[status().key].histogram.count == 9
    share.close()


def test_sharing_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    """The option wins, then DEPHEALTH_SHARE_WORKERS; a plain process does not share."""
    assert sharing_wanted(True, {}) is True
    assert sharing_wanted(False, {"DEPHEALTH_SHARE_WORKERS": "yes"}) is False
    assert sharing_wanted(None, {"DEPHEALTH_SHARE_WORKERS": "on"}) is True
    assert sharing_wanted(None, {"DEPHEALTH_SHARE_WORKERS": "0"}) is False
    assert sharing_wanted(None, {}) is False  # pytest's parent is no pre-fork master
    with pytest.raises(ConfigError, match="DEPHEALTH_SHARE_WORKERS"):
        sharing_wanted(None, {"DEPHEALTH_SHARE_WORKERS": "maybe"})
    with pytest.raises(ConfigError, match="share_workers"):
        DependencyHealth("svc", "grp", share_workers="maybe")  # type: ignore[arg-type]


def test_two_engines_share_one_check(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Two engines of one app: one checks, both publish the same counts."""
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))

    async def scenario(stub: TcpStubServer) -> None:
        def engine() -> DependencyHealth:
            return DependencyHealth(
                "svc", "grp",
                tcp_check("t", host=stub.host, port=stub.port, critical=True),
                check_interval=1, timeout=0.5, metrics=False, share_workers=True,
            )  # fmt: skip

        leader, follower = engine(), engine()
        await leader.start()
        await follower.start()
        try:
            deadline = time.monotonic() + 60
            while True:
                got = follower.snapshot.endpoints.get(f"t:{stub.host}:{stub.port}")
                if got is not None and got.histogram.count >= 2:
                    break
                assert time.monotonic() < deadline
                await asyncio.sleep(0.02)
            assert got.healthy is True
            assert follower._scheduler.runners == {}  # the follower runs no check
            assert (leader.worker_role, follower.worker_role) == ("leader", "follower")
            assert stub.accepted <= leader.snapshot.endpoints[got.key].histogram.count + 1
        finally:
            await follower.stop()
            await leader.stop()
        assert not any(tmp_path.iterdir())  # the last one out removed the directory
        assert leader.worker_role == follower.worker_role == "alone"

    with TcpStubServer("close") as stub:
        asyncio.run(scenario(stub))


def test_histogram_default_is_empty() -> None:
    """A worker that never checked adds nothing to the sums."""
    combined = combine_pool([status(count=0)], None)
    assert combined.histogram == LatencyHistogram()


def test_share_workers_from_every_configuration_source() -> None:
    """Code, DEPHEALTH_SHARE_WORKERS, a mapping and Flask's config all set the option."""
    from flask import Flask

    from dephealth_flask import DepHealth

    dep = tcp_check("t", host="127.0.0.1", port=9, critical=True)
    quiet = {"metrics": False, "environ": {}}
    assert DependencyHealth("a", "b", dep, **quiet)._sharing.option is None  # type: ignore[arg-type]
    env = {"DEPHEALTH_SHARE_WORKERS": "off"}
    assert DependencyHealth("a", "b", dep, metrics=False, environ=env)._sharing.option is False
    forced = DependencyHealth("a", "b", dep, metrics=False, environ=env, share_workers=True)
    assert forced._sharing.option is True  # code wins over the environment
    mapped = DependencyHealth.from_config(
        {"share_workers": "no"}, dep, name="a", group="b", metrics=False, environ={}
    )
    assert mapped._sharing.option is False
    app = Flask("share")
    app.config["DEPHEALTH_SHARE_WORKERS"] = False
    assert DepHealth(app, dep, name="a", group="b").state(app).engine._sharing.option is False


def test_restore_continues_health_and_counts_without_a_transition() -> None:
    """A new leader continues a restored status: no spurious transition nor listener call."""
    from dataclasses import replace as _replace
    from types import SimpleNamespace

    from dephealth_core import Endpoint
    from dephealth_core._endpoint_runner import CheckResult
    from dephealth_core._recorder import Recorder, unknown_status
    from dephealth_core._settings import CheckSettings

    endpoint = Endpoint(dependency="db", type="tcp", host="h", port="1", critical=True)
    runner = SimpleNamespace(endpoint=endpoint, pool_stats=lambda: None)
    recorder = Recorder(lambda urgent: None)
    recorder.track(endpoint, CheckSettings.build())
    seeded = _replace(
        unknown_status(endpoint),
        healthy=True,
        status="ok",
        detail="ok",
        transitions=3,
        histogram=LatencyHistogram().observe(0.01).observe(0.01),
    )
    recorder.restore(seeded)
    changes: list[object] = []
    recorder.on_change(changes.append)
    recorder.record(runner, CheckResult("ok", 0.01, None))  # type: ignore[arg-type]
    current = recorder.statuses[endpoint.key]
    assert current.histogram.count == 3
    assert current.transitions == 3
    assert changes == []
