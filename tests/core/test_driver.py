"""The check driver on a virtual clock: slots, deadlines, the in-flight bound, lateness."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from dephealth_core._driver import CheckDriver, Done, Job, task_begin
from dephealth_core._slots import next_slot

from .virtual_time import run_virtual


class Results:
    """Collects what the driver reports for one job."""

    def __init__(self) -> None:
        self.items: list[tuple[BaseException | None, float, float, bool]] = []

    def __call__(self, error: BaseException | None, latency: float, late: float, timed_out: bool):
        self.items.append((error, latency, late, timed_out))


def instant(starts: list[float]) -> Any:
    """A begin that completes at once, without a task."""

    def begin(done: Done) -> None:
        starts.append(asyncio.get_running_loop().time())
        done(None)

    return begin


def after(seconds: float, starts: list[float], aborted: list[float]) -> Any:
    """A begin whose check answers ``seconds`` later (a timer), abortable."""

    def begin(done: Done) -> Any:
        loop = asyncio.get_running_loop()
        starts.append(loop.time())
        handle = loop.call_later(seconds, done, None)

        def abort() -> None:
            handle.cancel()
            aborted.append(loop.time())
            done(asyncio.CancelledError())

        return abort

    return begin


def stall(seconds: float) -> None:
    asyncio.get_running_loop()._now += seconds  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("slot", "started", "expected"),
    [(2.0, 2.0, (3.0, 0)), (2.0, 2.9, (3.0, 0)), (2.0, 3.0, (4.0, 1)), (2.0, 5.5, (6.0, 3))],
)
def test_next_slot_keeps_the_phase_and_counts_missed_slots(
    slot: float, started: float, expected: tuple[float, int]
) -> None:
    """The next slot is one interval on, past the slots that were over before the start."""
    assert next_slot(slot, started, 1.0) == pytest.approx(expected)


def test_jobs_start_on_their_slots_and_share_a_wakeup() -> None:
    """A hundred jobs due in the same 10 ms start in one wakeup, every interval from the slot."""
    starts: list[float] = []

    async def scenario() -> tuple[float, int]:
        loop = asyncio.get_running_loop()
        driver = CheckDriver(loop)
        t0 = loop.time()
        for i in range(100):
            driver.add(Job(instant(starts), 1.0, 0.5, Results()), t0 + 0.001 + i * 0.00005)
        driver.start()
        await asyncio.sleep(2.5)
        await driver.stop(1)
        return t0, driver.lateness.count

    t0, counted = run_virtual(scenario())
    assert sorted({round(s - t0, 6) for s in starts}) == pytest.approx([0.01, 1.01, 2.01])
    assert counted == 300


def test_a_deadline_aborts_the_check_and_reports_a_timeout() -> None:
    """A check past its timeout is aborted at the deadline; latency is about the timeout."""
    starts: list[float] = []
    aborted: list[float] = []
    results = Results()

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        driver = CheckDriver(loop)
        driver.add(Job(after(5, starts, aborted), 1.0, 0.5, results), loop.time())
        driver.start()
        await asyncio.sleep(0.9)
        await driver.stop(1)

    run_virtual(scenario())
    error, latency, _, timed_out = results.items[0]
    assert timed_out
    assert isinstance(error, asyncio.CancelledError)
    assert latency == pytest.approx(0.5, abs=0.011)
    assert aborted[0] - starts[0] == pytest.approx(0.5, abs=0.011)


def test_an_answer_seen_in_the_turn_of_its_deadline_wins() -> None:
    """A loop that was busy sees the answer and the deadline at once: the check is ok."""
    results = Results()

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        driver = CheckDriver(loop)

        async def check() -> None:
            answer = loop.create_future()
            loop.call_later(0.1, answer.set_result, None)
            loop.call_soon(stall, 1.0)  # the loop is held past the deadline
            await answer

        driver.add(Job(task_begin(loop, check), 2.0, 0.5, results), loop.time())
        driver.start()
        await asyncio.sleep(1.5)
        await driver.stop(1)

    run_virtual(scenario())
    error, _, _, timed_out = results.items[0]
    assert (error, timed_out) == (None, False)


def test_checks_in_flight_never_exceed_the_bound_and_late_ones_keep_their_timeout() -> None:
    """With room for 3, 12 slow jobs wait their turn; none times out, lateness shows it."""
    flying: list[int] = []
    now_flying = [0]
    results = [Results() for _ in range(12)]

    def slow(done: Done) -> Any:
        loop = asyncio.get_running_loop()
        now_flying[0] += 1
        flying.append(now_flying[0])

        def finish() -> None:
            now_flying[0] -= 1
            done(None)

        loop.call_later(0.4, finish)
        return None

    async def scenario() -> float:
        loop = asyncio.get_running_loop()
        driver = CheckDriver(loop, max_in_flight=3)
        for result in results:
            driver.add(Job(slow, 10.0, 0.5, result), loop.time())
        driver.start()
        await asyncio.sleep(2)
        await driver.stop(1)
        return max(item[2] for result in results for item in result.items)

    worst = run_virtual(scenario())
    assert max(flying) == 3
    assert all(result.items and not result.items[0][3] for result in results)
    assert worst == pytest.approx(1.2, abs=0.02)


def test_check_now_waits_for_the_check_in_flight_and_never_overlaps() -> None:
    """A manual check waits for the scheduled one; a slot due meanwhile runs right after."""
    starts: list[float] = []
    aborted: list[float] = []
    results = Results()

    async def scenario() -> float:
        loop = asyncio.get_running_loop()
        driver = CheckDriver(loop)
        job = Job(after(0.3, starts, aborted), 0.5, 0.4, results)
        t0 = loop.time()
        driver.add(job, t0)
        driver.start()
        await asyncio.sleep(0.1)
        await driver.check_now(job)  # waits until 0.3, runs from 0.3 to 0.6
        await asyncio.sleep(0.5)
        await driver.stop(1)
        return t0

    t0 = run_virtual(scenario())
    relative = [round(s - t0, 3) for s in starts]
    assert relative[:3] == pytest.approx([0.0, 0.3, 0.6], abs=0.001)
    assert not aborted
    assert all(not item[3] for item in results.items)


def test_stop_waits_for_checks_in_flight_then_aborts_the_rest() -> None:
    """stop() lets a short check finish and aborts one that outlives the grace."""
    quick, slow = Results(), Results()
    aborted: list[float] = []

    async def scenario() -> int:
        loop = asyncio.get_running_loop()
        driver = CheckDriver(loop)
        driver.add(Job(after(0.2, [], aborted), 10.0, 9.0, quick), loop.time())
        driver.add(Job(after(8.0, [], aborted), 10.0, 9.0, slow), loop.time())
        driver.start()
        await asyncio.sleep(0.05)
        return await driver.stop(1)

    left = run_virtual(scenario())
    assert left == 0
    assert quick.items[0][0] is None
    assert isinstance(slow.items[0][0], asyncio.CancelledError)
    assert not slow.items[0][3]  # aborted by stop(): not a timeout
    assert len(aborted) == 1


def test_a_removed_job_is_not_started_again() -> None:
    """remove() takes a job off the schedule from its next slot on."""
    starts: list[float] = []

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        driver = CheckDriver(loop)
        job = Job(instant(starts), 1.0, 0.5, Results())
        driver.add(job, loop.time())
        driver.start()
        await asyncio.sleep(1.5)
        driver.remove(job)
        await asyncio.sleep(3)
        await driver.stop(1)

    run_virtual(scenario())
    assert len(starts) == 2


def test_a_check_that_completes_at_once_reports_in_the_same_call() -> None:
    """A begin that calls done before returning needs no task and no other loop turn."""
    results = Results()

    async def scenario() -> int:
        loop = asyncio.get_running_loop()
        driver = CheckDriver(loop)
        job = Job(instant([]), 1.0, 0.5, results)
        driver._start(job, loop.time(), manual=True)
        return len(results.items)

    assert run_virtual(scenario()) == 1
