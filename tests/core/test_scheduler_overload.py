"""Overload is honest: late checks show as lateness and missed slots, never as false outages.

On a virtual clock: a callback that "runs" for a while moves the clock on without yielding, as a
loop busy with other work would.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from dephealth_core import DependencyHealth

from .fakes import ScriptedChecker, fake_dependency
from .virtual_time import run_virtual


def engine(*deps: Any, **kwargs: Any) -> DependencyHealth:
    kwargs.setdefault("check_interval", 1)
    kwargs.setdefault("timeout", 0.5)
    kwargs.setdefault("metrics", False)
    return DependencyHealth("svc", "team", *deps, environ={}, **kwargs)


def stall(seconds: float) -> None:
    """Hold the loop for ``seconds`` of virtual time, as a busy callback would."""
    loop = asyncio.get_running_loop()
    loop._now += seconds  # type: ignore[attr-defined]


def test_a_stalled_loop_makes_checks_late_not_failed() -> None:
    """Checks held back by a busy loop start late, keep their full timeout and read ok."""
    checkers = [ScriptedChecker(default=None) for _ in range(20)]
    for checker in checkers:
        checker.outcomes = [0.4] * 10  # each check takes 0.4 s of its 0.5 s timeout
    dh = engine(*(fake_dependency(f"d{i}", c) for i, c in enumerate(checkers)))

    async def scenario() -> None:
        await dh.start()
        await asyncio.sleep(1.5)
        asyncio.get_running_loop().call_soon(stall, 0.9)
        await asyncio.sleep(3)
        await dh.stop()

    run_virtual(scenario())
    details = dh.health_details()
    assert {status.detail for status in details.values()} == {"ok"}
    assert all(checker.cancelled == 0 for checker in checkers)


def test_the_schedule_keeps_its_phase_and_counts_missed_slots() -> None:
    """After a stall of 2.5 intervals the checks stay on their slots; the skipped ones count."""
    checker = ScriptedChecker()
    dh = engine(fake_dependency("db", checker))

    async def scenario() -> None:
        await dh.start()
        await asyncio.sleep(1.2)
        asyncio.get_running_loop().call_soon(stall, 2.5)
        await asyncio.sleep(3)
        await dh.stop()

    run_virtual(scenario())
    first = checker.starts[0]
    phases = [round((start - first) % 1.0, 6) % 1.0 for start in checker.starts]
    late = [start - first for start in checker.starts]
    # Due at 0, 1, 2, 3, 4...: the stall from 1.2 to 3.7 swallows the slots at 2 and 3; the
    # check due at 2 starts at 3.7 (late by 1.7), then the slots at 4, 5, 6 are kept.
    assert late[:2] == pytest.approx([0, 1])
    assert late[2] == pytest.approx(3.7, abs=0.02)
    assert phases[3:] == pytest.approx([0.0] * len(phases[3:]), abs=0.011)
    assert dh.snapshot.schedule.missed == 1
    assert dh.snapshot.schedule.lateness.count == len(checker.starts)


def test_lateness_is_in_the_details_and_the_metrics() -> None:
    """/health/details gives each endpoint's start lateness; a histogram family has them all."""
    registry = CollectorRegistry()
    dh = engine(fake_dependency("db", ScriptedChecker()), metrics=True, registry=registry)

    async def scenario() -> None:
        await dh.start()
        await asyncio.sleep(0.5)
        asyncio.get_running_loop().call_soon(stall, 0.7)
        await asyncio.sleep(2)
        await dh.stop()

    run_virtual(scenario())
    payload = dh.health_details()["db:10.0.0.1:1"].to_dict()
    assert payload["lateness_ms"] == pytest.approx(0.0, abs=11)
    assert list(payload)[:11] == [
        "healthy", "status", "detail", "latency_ms", "type", "name", "host", "port",
        "critical", "last_checked_at", "labels",
    ]  # fmt: skip
    text = generate_latest(registry).decode()
    families = {family.name: family for family in text_string_to_metric_families(text)}
    lateness = families["dephealth_check_lateness_seconds"]
    assert lateness.type == "histogram"
    samples = {(s.name, s.labels.get("le")): s.value for s in lateness.samples}
    assert samples[("dephealth_check_lateness_seconds_count", None)] >= 3
    # The check due at 1.0 started at 1.2 (the stall held it): one start in (0.1, 0.5].
    assert samples[("dephealth_check_lateness_seconds_bucket", "0.5")] - samples[
        ("dephealth_check_lateness_seconds_bucket", "0.1")
    ] == pytest.approx(1)
    missed = families["dephealth_checks_missed"]
    assert missed.type == "counter"
    assert {s.labels["name"] for s in missed.samples} == {"svc"}


def test_one_warning_says_how_far_behind_and_what_to_change(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Falling behind logs one WARNING with the lateness and the fix, not one per check."""
    checkers = [ScriptedChecker() for _ in range(50)]
    dh = engine(*(fake_dependency(f"d{i}", c) for i, c in enumerate(checkers)))

    async def scenario() -> None:
        await dh.start()
        for _ in range(3):
            await asyncio.sleep(1)
            asyncio.get_running_loop().call_soon(stall, 0.6)
        await asyncio.sleep(1)
        await dh.stop()

    with caplog.at_level(logging.WARNING, logger="dephealth"):
        run_virtual(scenario())
    behind = [r for r in caplog.records if "behind" in r.getMessage()]
    assert len(behind) == 1
    message = behind[0].getMessage()
    assert "interval" in message
    assert "endpoints per process" in message


def test_checks_in_flight_are_bounded() -> None:
    """No more than max_in_flight checks run at once; the others wait, late but not failed."""
    checkers = [ScriptedChecker(default=None) for _ in range(40)]
    for checker in checkers:
        checker.outcomes = [0.3] * 10
    running: list[int] = []
    dh = engine(*(fake_dependency(f"d{i}", c) for i, c in enumerate(checkers)), max_in_flight=8)

    async def sample() -> None:
        while True:
            running.append(sum(c.in_flight for c in checkers))
            await asyncio.sleep(0.01)

    async def scenario() -> None:
        await dh.start()
        probe = asyncio.get_running_loop().create_task(sample())
        await asyncio.sleep(4)
        probe.cancel()
        await dh.stop()

    run_virtual(scenario())
    assert max(running) == 8
    assert {status.detail for status in dh.health_details().values()} == {"ok"}
    assert all(len(c.starts) >= 2 for c in checkers)


def test_a_timeout_counts_from_the_real_start_when_waiting_for_a_slot() -> None:
    """A check that waited for a free slot still gets its whole timeout once it starts."""
    checkers = [ScriptedChecker(outcomes=[0.45]) for _ in range(4)]
    dh = engine(*(fake_dependency(f"d{i}", c) for i, c in enumerate(checkers)), max_in_flight=1)

    async def scenario() -> None:
        await dh.start()
        await asyncio.sleep(1.9)
        await dh.stop()

    run_virtual(scenario())
    starts = sorted(c.starts[0] for c in checkers)
    assert [b - a for a, b in itertools.pairwise(starts)] == pytest.approx([0.45] * 3, abs=0.02)
    assert {s.detail for s in dh.health_details().values()} == {"ok"}
    assert all(c.cancelled == 0 for c in checkers)


def test_max_in_flight_is_validated() -> None:
    """A bound that is not a positive integer is a ConfigError naming the field."""
    from dephealth_core import ConfigError

    with pytest.raises(ConfigError, match="max_in_flight"):
        engine(max_in_flight=0)
