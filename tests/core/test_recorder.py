"""The recorder (sole owner of statuses) and the publisher (coalesced snapshots)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from dephealth_core import Endpoint, StateChange
from dephealth_core._endpoint_runner import CheckResult
from dephealth_core._publisher import ROUTINE_DELAY, SnapshotPublisher
from dephealth_core._recorder import Recorder
from dephealth_core._settings import CheckSettings
from dephealth_core.testing import run_virtual

ENDPOINT = Endpoint(dependency="db", type="tcp", host="h", port="1", critical=True)


def runner() -> SimpleNamespace:
    return SimpleNamespace(endpoint=ENDPOINT, pool_stats=lambda: None)


def test_thresholds_transitions_and_listeners() -> None:
    """Two failures in a row turn the endpoint down (threshold 2); listeners see each change."""
    urgent: list[bool] = []
    changes: list[StateChange] = []
    recorder = Recorder(urgent.append)
    recorder.on_change(changes.append)
    recorder.track(ENDPOINT, CheckSettings.build(failure_threshold=2))
    assert recorder.statuses[ENDPOINT.key].status == "unknown"

    recorder.record(runner(), CheckResult("ok", 0.01, None))  # type: ignore[arg-type]
    recorder.record(runner(), CheckResult("ok", 0.01, None))  # type: ignore[arg-type]
    recorder.record(runner(), CheckResult("timeout", 1.0, None))  # type: ignore[arg-type]
    assert recorder.statuses[ENDPOINT.key].healthy is True
    recorder.record(runner(), CheckResult("timeout", 1.0, None))  # type: ignore[arg-type]

    status = recorder.statuses[ENDPOINT.key]
    assert status.healthy is False and status.consecutive_failures == 2
    assert status.transitions == 1 and status.histogram.count == 4
    assert urgent == [True, False, True, True]  # a routine result waits for coalescing
    assert [(c.previous.status, c.current.status, c.current.healthy) for c in changes] == [
        ("unknown", "ok", True),
        ("ok", "timeout", True),  # the status changed, health not yet
        ("timeout", "timeout", False),
    ]


def test_a_forgotten_endpoint_ignores_late_results() -> None:
    """A result arriving after the endpoint was removed is dropped, not resurrected."""
    recorder = Recorder(lambda urgent: None)
    recorder.track(ENDPOINT, CheckSettings.build())
    recorder.forget(ENDPOINT.key)
    recorder.record(runner(), CheckResult("ok", 0.01, None))  # type: ignore[arg-type]
    assert dict(recorder.statuses) == {}


def test_a_removed_listener_is_not_called() -> None:
    """on_change returns a function that removes the listener."""
    changes: list[StateChange] = []
    recorder = Recorder(lambda urgent: None)
    remove = recorder.on_change(changes.append)
    remove()
    recorder.track(ENDPOINT, CheckSettings.build())
    recorder.record(runner(), CheckResult("ok", 0.01, None))  # type: ignore[arg-type]
    assert changes == []


def test_routine_requests_coalesce_into_one_snapshot() -> None:
    """A hundred routine requests publish one snapshot; an urgent one publishes at once."""
    statuses: dict[str, object] = {}
    publisher = SnapshotPublisher("svc", "team", lambda: statuses, lambda: "running")  # type: ignore[arg-type,return-value]

    async def scenario() -> list[int]:
        versions = [publisher.snapshot.version]
        for _ in range(100):
            publisher.request(urgent=False)
        await asyncio.sleep(ROUTINE_DELAY / 2)
        versions.append(publisher.snapshot.version)
        await asyncio.sleep(ROUTINE_DELAY)
        versions.append(publisher.snapshot.version)
        publisher.request(urgent=True)
        await asyncio.sleep(0.01)
        versions.append(publisher.snapshot.version)
        return versions

    assert run_virtual(scenario()) == [0, 0, 1, 2]
    assert publisher.snapshot.running and publisher.snapshot.name == "svc"
