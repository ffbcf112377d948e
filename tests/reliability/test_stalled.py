"""A stalled engine is visible: /livez turns 503 within two intervals and the log says why.

Sync apps (Django, Flask, WSGI) run their checks on the process's background runner and
answer /livez from request threads, so a stalled or dead checker loop shows there. (Under
Starlette the checks run on the app's own loop: a check that blocks it blocks every request,
and the probe itself times out.)
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from prometheus_client import CollectorRegistry

from dephealth_core import (
    BackgroundRunner,
    Dependency,
    DependencyHealth,
    Endpoint,
    HealthViews,
    Kind,
)
from tests.support._process import poll_until

from .secrets_support import every_log_record

INTERVAL = 1.0


@dataclass
class Blocker:
    """A check that, once told to, blocks the event loop it runs on (``time.sleep``)."""

    block: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    blocked_at: float | None = None

    async def check(self, endpoint: Endpoint) -> None:
        if self.block.is_set() and not self.release.is_set():
            self.blocked_at = time.monotonic()
            deadline = self.blocked_at + 15
            while not self.release.is_set() and time.monotonic() < deadline:
                time.sleep(0.02)  # on the loop: nothing else runs there meanwhile


@pytest.fixture
def blocker() -> Iterator[Blocker]:
    found = Blocker()
    yield found
    found.release.set()


@pytest.fixture
def engine(blocker: Blocker) -> Iterator[tuple[DependencyHealth, HealthViews]]:
    """An engine on the background runner whose one check blocks its loop on demand."""
    kind = Kind(type="blocker", default_port=1, make_checker=lambda dependency, target: blocker)
    dh = DependencyHealth(
        "stalled",
        "tests",
        Dependency("blocker", kind, critical=True, host="blocker.test"),
        check_interval=INTERVAL,
        timeout=0.5,
        registry=CollectorRegistry(),
    )
    views = HealthViews(dh)
    dh.start_background()
    yield dh, views
    blocker.release.set()
    dh.stop_background()


def livez(views: HealthViews) -> tuple[int, str]:
    answer = views.handle("livez")
    return answer.status, answer.body.decode()


def test_a_check_that_blocks_the_loop_turns_livez_503(
    engine: tuple[DependencyHealth, HealthViews], blocker: Blocker
) -> None:
    """A check blocking the checker loop: /livez 503 within two intervals, one log line why."""
    dh, views = engine
    poll_until(lambda: dh.health() == {"blocker": True}, 20, "a first result")
    with every_log_record() as records:
        assert livez(views)[0] == 200
        blocker.block.set()
        poll_until(lambda: blocker.blocked_at is not None, 5, "the check to block the loop")
        poll_until(lambda: livez(views)[0] == 503, 2 * INTERVAL + 3, "/livez 503")
        detected = time.monotonic() - (blocker.blocked_at or 0.0)
        for _ in range(20):
            assert livez(views)[0] == 503  # probes keep failing; the log line is not repeated
        status, body = livez(views)
        blocker.release.set()
        poll_until(lambda: livez(views)[0] == 200, 10, "/livez 200 once the loop runs again")
    assert "no progress" in body
    assert detected <= 2 * INTERVAL + 2.0  # the engine says 503 past 2 intervals; slack for probing
    said = [r.getMessage() for r in records if "engine not alive" in r.getMessage()]
    assert len(said) == 1
    assert "the checker loop has made no progress" in said[0]


def test_a_dead_runner_loop_turns_livez_503_at_once(
    engine: tuple[DependencyHealth, HealthViews],
) -> None:
    """The background runner's loop killed: /livez 503 at once, and the log says so."""
    dh, views = engine
    poll_until(lambda: dh.health() == {"blocker": True}, 20, "a first result")
    runner = BackgroundRunner.get()
    with every_log_record() as records:
        assert livez(views)[0] == 200
        runner.loop.call_soon_threadsafe(runner.loop.stop)
        runner.thread.join(5)
        status, body = livez(views)
        livez(views)
    assert status == 503
    assert "the background checker thread has died" in body
    said = [r.getMessage() for r in records if "engine not alive" in r.getMessage()]
    assert said == ["dephealth: engine not alive: the background checker thread has died"]


@dataclass
class Stubborn:
    """A check that, after its first success, ignores its cancellation until released."""

    release: threading.Event = field(default_factory=threading.Event)
    calls: int = 0

    async def check(self, endpoint: Endpoint) -> None:
        self.calls += 1
        while self.calls > 1 and not self.release.is_set():
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                pass  # what a misbehaving driver does


def stubborn_engine(stubborn: Stubborn) -> tuple[DependencyHealth, HealthViews]:
    kind = Kind(type="stubborn", default_port=1, make_checker=lambda dependency, target: stubborn)
    dh = DependencyHealth(
        "stalled",
        "tests",
        Dependency("stubborn", kind, critical=True, host="stubborn.test"),
        check_interval=INTERVAL,
        timeout=0.5,
        registry=CollectorRegistry(),
    )
    return dh, HealthViews(dh)


def test_a_check_that_ignores_its_cancellation_turns_livez_503() -> None:
    """A check stuck past its timeout (cancellation ignored): /livez 503 naming it, stop bounded."""
    stubborn = Stubborn()
    dh, views = stubborn_engine(stubborn)
    dh.start_background()
    try:
        with every_log_record() as records:
            poll_until(lambda: stubborn.calls > 1, 5, "the second check to start")
            stuck_at = time.monotonic()
            poll_until(lambda: livez(views)[0] == 503, 0.5 + 2 * INTERVAL + 3, "/livez 503")
            detected = time.monotonic() - stuck_at
            status, body = livez(views)
            started = time.monotonic()
            dh.stop_background(timeout=3.0)
            stopping = time.monotonic() - started
    finally:
        stubborn.release.set()
    assert "the check of stubborn:stubborn.test:1 has not ended" in body
    assert detected <= 0.5 + 2 * INTERVAL + 2.0
    assert stopping < 3.0
    messages = [r.getMessage() for r in records]
    assert sum("engine not alive" in m for m in messages) == 1
    assert "dephealth: 1 check(s) ignored cancellation; not waiting for them" in messages


async def test_stop_on_the_app_loop_is_bounded_when_a_check_ignores_cancellation() -> None:
    """Starlette's shutdown path: stop() returns in its time even if a check will not end."""
    stubborn = Stubborn()
    dh, _ = stubborn_engine(stubborn)
    await dh.start()
    try:
        while stubborn.calls < 2:
            await asyncio.sleep(0.05)
        started = time.monotonic()
        await dh.stop(timeout=1.0)
        stopping = time.monotonic() - started
    finally:
        stubborn.release.set()
        await asyncio.sleep(0.1)
    assert stopping < 2.0
    assert dh.snapshot.running is False
