"""The engine's scheduling, thresholds, timeouts and lifecycle, on a virtual clock."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

from dephealth_core import (
    ConnectionRefused,
    DependencyHealth,
    StateChange,
    StateError,
    Unhealthy,
)

from .fakes import BlockingChecker, ScriptedChecker, fake_dependency
from .virtual_time import run_virtual


def engine(*deps: Any, **kwargs: Any) -> DependencyHealth:
    kwargs.setdefault("check_interval", 10)
    kwargs.setdefault("timeout", 1)
    return DependencyHealth("svc", "team", *deps, metrics=False, environ={}, **kwargs)


def test_interval_runs_from_the_start_of_each_check() -> None:
    """Checks start every interval even when each check takes a while."""
    checker = ScriptedChecker(outcomes=[0.4, 0.4, 0.4, 0.4])
    dh = engine(fake_dependency("db", checker))

    async def scenario() -> list[float]:
        await dh.start()
        await asyncio.sleep(35)
        await dh.stop()
        return checker.starts

    starts = run_virtual(scenario())
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(starts) == 4
    assert gaps == pytest.approx([10, 10, 10])


def test_a_check_longer_than_the_interval_is_never_overlapped() -> None:
    """The next check waits for the slow one and starts right after, without overlap."""
    checker = ScriptedChecker(default=None)
    dh = engine(fake_dependency("db", checker, timeout=4, interval=5))
    checker.outcomes = [3.9, 3.9, 3.9]

    async def scenario() -> None:
        await dh.start()
        await asyncio.sleep(20)
        await dh.check_now()
        await dh.stop()

    run_virtual(scenario())
    assert checker.max_in_flight == 1


def test_first_result_sets_state_then_thresholds_apply() -> None:
    """Unknown until the first check; after it, changes need threshold results in a row."""
    refused = ConnectionRefused()
    checker = ScriptedChecker(outcomes=[None, refused, refused, None, refused, refused, refused])
    dh = engine(fake_dependency("db", checker, failure_threshold=3, success_threshold=2))
    seen: list[bool | None] = []

    async def scenario() -> None:
        assert dh.health() == {}
        for _ in range(7):
            await dh.check_now()
            seen.append(dh.health_details()["db:10.0.0.1:1"].healthy)

    run_virtual(scenario())
    assert seen == [True, True, True, True, True, True, False]


def test_status_and_detail_follow_every_result_even_below_threshold() -> None:
    """The status category reflects the last check while health waits for the threshold."""
    checker = ScriptedChecker(outcomes=[None, Unhealthy(detail="http_503")])
    dh = engine(fake_dependency("api", checker, failure_threshold=2))

    async def scenario() -> None:
        await dh.check_now()
        await dh.check_now()

    run_virtual(scenario())
    status = dh.health_details()["api:10.0.0.1:1"]
    assert (status.healthy, status.status, status.detail) == (True, "unhealthy", "http_503")


def test_initial_delay_postpones_the_first_check() -> None:
    """No check runs before the initial delay has passed."""
    checker = ScriptedChecker()
    dh = engine(fake_dependency("db", checker, initial_delay=3))

    async def scenario() -> float:
        loop = asyncio.get_running_loop()
        start = loop.time()
        await dh.start()
        await asyncio.sleep(5)
        await dh.stop()
        return checker.starts[0] - start

    assert run_virtual(scenario()) == pytest.approx(3)


def test_first_checks_of_many_endpoints_are_spread() -> None:
    """A thousand endpoints do not all fire at the same instant, yet all start within a second."""
    checkers = [ScriptedChecker() for _ in range(1000)]
    deps = [fake_dependency(f"d{i}", c, interval=1, timeout=0.5) for i, c in enumerate(checkers)]
    dh = engine(*deps, check_interval=1, timeout=0.5)

    async def scenario() -> list[float]:
        await dh.start()
        await asyncio.sleep(1.05)
        await dh.stop()
        return [c.starts[0] for c in checkers]

    firsts = run_virtual(scenario())
    from collections import Counter

    per_slot = Counter(round(t, 3) for t in firsts)
    assert len(per_slot) >= 90
    assert max(per_slot.values()) <= 20
    assert max(firsts) - min(firsts) <= 1.01


def test_timeout_cancels_the_check_and_reports_timeout() -> None:
    """A check that hangs is cancelled at the timeout and classified as timeout."""
    checker = ScriptedChecker(outcomes=[60.0])
    dh = engine(fake_dependency("db", checker))

    async def scenario() -> float:
        loop = asyncio.get_running_loop()
        start = loop.time()
        await dh.check_now()
        return loop.time() - start

    elapsed = run_virtual(scenario())
    status = dh.health_details()["db:10.0.0.1:1"]
    assert elapsed == pytest.approx(1.0)
    assert checker.cancelled == 1
    assert (status.healthy, status.status, status.detail) == (False, "timeout", "timeout")
    assert status.latency == pytest.approx(1.0)


def test_unexpected_exceptions_never_escape_and_become_error() -> None:
    """A checker bug is an 'error' result, and checks go on."""
    checker = ScriptedChecker(outcomes=[ZeroDivisionError("boom"), None])
    dh = engine(fake_dependency("db", checker))

    async def scenario() -> tuple[str, str]:
        await dh.check_now()
        first = dh.health_details()["db:10.0.0.1:1"].detail
        await dh.check_now()
        return first, dh.health_details()["db:10.0.0.1:1"].detail

    assert run_virtual(scenario()) == ("error", "ok")


def test_second_start_is_an_error_and_stop_is_idempotent() -> None:
    """start() twice raises StateError; stop() twice is harmless and keeps the last values."""
    checker = ScriptedChecker()
    dh = engine(fake_dependency("db", checker))

    async def scenario() -> None:
        await dh.start()
        with pytest.raises(StateError):
            await dh.start()
        await asyncio.sleep(1)
        await dh.stop()
        await dh.stop()

    run_virtual(scenario())
    assert dh.health() == {"db": True}
    assert not dh.running
    assert checker.closed


def test_stop_waits_for_a_check_in_flight() -> None:
    """stop() lets a running check finish (within its grace) instead of dropping it."""
    checker = ScriptedChecker(outcomes=[0.8])
    dh = engine(fake_dependency("db", checker))

    async def scenario() -> None:
        await dh.start()
        await asyncio.sleep(0.1)
        await dh.stop()

    run_virtual(scenario())
    assert checker.cancelled == 0
    assert dh.health() == {"db": True}


def test_listeners_fire_on_transitions_only() -> None:
    """on_change sees unknown->healthy, healthy->unhealthy and back, not steady results."""
    refused = ConnectionRefused()
    checker = ScriptedChecker(outcomes=[None, None, refused, refused, None])
    dh = engine(fake_dependency("db", checker))
    changes: list[StateChange] = []
    dh.on_change(changes.append)

    def broken(change: StateChange) -> None:
        raise RuntimeError("listener bug")

    dh.on_change(broken)

    async def scenario() -> None:
        for _ in range(5):
            await dh.check_now()

    run_virtual(scenario())
    assert [(c.previous.healthy, c.current.healthy) for c in changes] == [
        (None, True),
        (True, False),
        (False, True),
    ]


def test_async_listener_is_scheduled() -> None:
    """A coroutine listener runs as a task on the engine's loop."""
    dh = engine(fake_dependency("db", ScriptedChecker()))
    seen: list[str] = []

    async def listener(change: StateChange) -> None:
        seen.append(change.key)

    dh.on_change(listener)

    async def scenario() -> None:
        await dh.check_now()
        await asyncio.sleep(0)

    run_virtual(scenario())
    assert seen == ["db:10.0.0.1:1"]


def test_dynamic_add_remove_replace_on_a_running_engine() -> None:
    """Endpoints can be added, removed and replaced while checks run."""
    dh = engine(fake_dependency("db", ScriptedChecker()))
    added = ScriptedChecker()

    async def scenario() -> list[set[str]]:
        await dh.start()
        await asyncio.sleep(1)
        keys = [set(dh.health_details())]
        dh.add_dependency(fake_dependency("cache", added, host="10.0.0.2"))
        await asyncio.sleep(1)
        keys.append(set(dh.health_details()))
        dh.replace_dependency(fake_dependency("cache", added, host="10.0.0.3"))
        await asyncio.sleep(1)
        keys.append(set(dh.health_details()))
        dh.remove_dependency("db")
        await asyncio.sleep(1)
        keys.append(set(dh.health_details()))
        await dh.stop()
        return keys

    keys = run_virtual(scenario())
    assert keys == [
        {"db:10.0.0.1:1"},
        {"db:10.0.0.1:1", "cache:10.0.0.2:1"},
        {"db:10.0.0.1:1", "cache:10.0.0.3:1"},
        {"cache:10.0.0.3:1"},
    ]
    assert added.starts
    assert dh.health() == {"cache": True}


def test_details_show_unknown_endpoints_after_start() -> None:
    """Before the first check, details list every endpoint as unknown."""
    dh = engine(fake_dependency("db", ScriptedChecker(), initial_delay=5))

    async def scenario() -> None:
        await dh.start()
        details = dh.health_details()
        assert details["db:10.0.0.1:1"].status == "unknown"
        assert details["db:10.0.0.1:1"].healthy is None
        assert dh.health() == {}
        await dh.stop()

    run_virtual(scenario())


def test_lazy_pool_is_resolved_at_start() -> None:
    """A zero-argument callable for the checker source is called when checks start."""
    from dephealth_core import Dependency, Kind

    calls: list[int] = []

    def make(dependency: Dependency, target: Any) -> ScriptedChecker:
        assert target.source == "the-pool"
        return ScriptedChecker()

    kind = Kind(
        type="tcp",
        default_port=1,
        make_checker=make,
        source_hosts=lambda dep, src: [("10.9.9.9", "5")],
        is_source=lambda obj: isinstance(obj, str),
    )

    def lazy() -> str:
        calls.append(1)
        return "the-pool"

    dh = engine(Dependency("db", kind, critical=True, source=lazy))
    assert calls == []

    async def scenario() -> None:
        await dh.start()
        await asyncio.sleep(1)
        await dh.stop()

    run_virtual(scenario())
    assert calls == [1]
    assert dh.health() == {"db": True}
    assert set(dh.health_details()) == {"db:10.9.9.9:5"}


def test_blocking_checks_run_in_the_bounded_pool_not_on_the_loop() -> None:
    """Sync checkers run in 'dephealth-sync' threads, never on the event loop thread."""
    checkers = [BlockingChecker() for _ in range(10)]
    dh = engine(*(fake_dependency(f"d{i}", c) for i, c in enumerate(checkers)), sync_workers=2)

    async def scenario() -> None:
        await dh.check_now()

    asyncio.run(scenario())
    threads = set().union(*(c.threads for c in checkers))
    assert all(name.startswith("dephealth-sync") for name in threads)
    assert len(threads) <= 2
    assert dh.health() == {f"d{i}": True for i in range(10)}


def test_blocking_check_past_its_timeout_is_not_overlapped() -> None:
    """A sync check stuck past its timeout reports timeout; the next one waits for it."""
    checker = BlockingChecker(wait_for_release=True)
    dh = engine(fake_dependency("ldap", checker, timeout=0.2, interval=1))

    async def scenario() -> tuple[str, int, str]:
        await dh.check_now()
        first = dh.health_details()["ldap:10.0.0.1:1"].detail
        await dh.check_now()
        calls_while_stuck = checker.calls
        checker.release.set()
        checker.wait_for_release = False
        await asyncio.sleep(0.05)
        await dh.check_now()
        return first, calls_while_stuck, dh.health_details()["ldap:10.0.0.1:1"].detail

    first, calls_while_stuck, last = asyncio.run(scenario())
    assert first == "timeout"
    assert calls_while_stuck == 1
    assert last == "ok"


def test_background_runner_uses_one_thread_for_many_endpoints() -> None:
    """start_background() runs every endpoint on one 'dephealth-checker' thread."""
    import threading

    deps = [fake_dependency(f"d{i}", ScriptedChecker()) for i in range(200)]
    dh = engine(*deps, check_interval=1, timeout=0.5)
    before = {t.name for t in threading.enumerate()}
    dh.start_background()
    try:
        dh.check_now_background()
        names = [t.name for t in threading.enumerate() if t.name not in before]
        assert names.count("dephealth-checker") <= 1
        assert not [n for n in names if n.startswith("dephealth-sync")]
        assert len(dh.health()) == 200
    finally:
        dh.stop_background()
    assert not dh.running


def test_stop_is_bounded_when_a_checker_close_hangs() -> None:
    """A checker whose aclose() never returns cannot hang stop()."""

    class HangingClose(ScriptedChecker):
        async def aclose(self) -> None:
            await asyncio.sleep(3600)

    dh = engine(fake_dependency("db", HangingClose()))

    async def scenario() -> float:
        loop = asyncio.get_running_loop()
        await dh.start()
        await asyncio.sleep(1)
        started = loop.time()
        await dh.stop(timeout=2)
        return loop.time() - started

    assert run_virtual(scenario()) <= 2.1
    assert not dh.running


def test_a_checker_that_swallows_its_timeout_does_not_stop_the_endpoint() -> None:
    """A checker turning its timeout's cancellation into another error reads timeout."""

    class Swallowing(ScriptedChecker):
        async def check(self, endpoint: Any) -> None:
            self.starts.append(asyncio.get_running_loop().time())
            if len(self.starts) == 1:
                try:
                    await asyncio.sleep(60)
                except asyncio.CancelledError:
                    raise RuntimeError("driver wrapped the cancellation") from None

    checker = Swallowing()
    dh = engine(fake_dependency("db", checker))
    changes: list[StateChange] = []
    dh.on_change(changes.append)

    async def scenario() -> None:
        await dh.start()
        await asyncio.sleep(25)
        await dh.stop()

    run_virtual(scenario())
    assert changes[0].current.detail == "timeout"
    assert len(checker.starts) == 3
    assert dh.health_details()["db:10.0.0.1:1"].detail == "ok"
