"""The check driver: every endpoint of one engine on one heap of due times, on one event loop.

One timer wakes the driver at the earliest due time or deadline; it starts each check that is
due (up to ``max_in_flight`` at once), and each check's result moves its endpoint one interval on.
No task or timer per endpoint, no ``asyncio.timeout`` per check: deadlines live in a second heap.

- **Slots and lateness.** Due times are slots on a 10 ms grid; lateness is measured against the
  slot and slots that went by are missed, never run late (see :mod:`._slots`).
- **Timeouts from the real start.** A check's deadline is its start plus its timeout, however
  late it started; a check waiting for a free place in flight has not started.
- **Completions before deadlines.** An expired deadline is acted on after the callbacks of the
  same loop turn: a check whose answer arrived in the turn its deadline passed (a busy loop sees
  both at once) completes instead of timing out.
- **No task switch when none is needed.** A checker with ``begin_check(endpoint, done)`` (the
  TCP checker) runs without a task; on Python 3.12+ a coroutine checker runs in an eagerly
  started task, so a check that completes without suspending finishes in the same call.
"""

from __future__ import annotations

import asyncio
import heapq
import math
import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from ._slots import Lateness, align, next_slot

#: How many checks run at once by default: each holds a socket, or a pool connection.
DEFAULT_MAX_IN_FLIGHT = 512
EAGER_TASKS = sys.version_info >= (3, 12)

#: ``done(error)``: ``None`` for a success, the exception otherwise.
Done = Callable[[BaseException | None], None]
#: ``begin(done)`` starts one check and returns how to abort it, or ``None`` when it is over.
Begin = Callable[[Done], Callable[[], object] | None]
#: ``on_result(error, latency, lateness, timed_out)``.
OnResult = Callable[[BaseException | None, float, float, bool], None]


@dataclass(slots=True, eq=False)
class Job:
    """One endpoint's place in the driver: how to start its check, and where it stands."""

    begin: Begin
    interval: float
    timeout: float
    on_result: OnResult
    removed: bool = False
    slot: float = 0.0
    started: float = 0.0
    in_flight: bool = False
    run: int = 0
    abort: Callable[[], object] | None = None
    timed_out: bool = False
    waiters: list[asyncio.Future[None]] | None = None
    #: A slot that came due while a manual check (``check_now``) was in flight.
    deferred: float | None = None
    manual: bool = False


class CheckDriver:
    """Starts the checks of many endpoints on one loop (see the module docstring)."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        *,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        on_late: Callable[[float], None] | None = None,
        late_share: float = math.inf,
        late_floor: float = 0.0,
    ) -> None:
        self.loop = loop
        self.max_in_flight = max_in_flight
        self.lateness = Lateness()
        self.running = False
        self._due: list[tuple[float, int, Job]] = []
        self._deadlines: list[tuple[float, int, Job, int]] = []
        self._seq = 0
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = math.inf
        self._in_flight = 0
        self._ticking = False
        self._jobs_in_flight: set[Job] = set()
        self._on_late = on_late
        self._late_share = late_share
        self._late_floor = late_floor

    # -- scheduling ----------------------------------------------------------------------

    def add(self, job: Job, first_due: float) -> None:
        """Schedule ``job`` from ``first_due`` (loop time) on."""
        job.removed = False
        self._push(job, align(first_due))
        self._arm()

    def remove(self, job: Job) -> None:
        """Stop scheduling ``job``; a check in flight finishes (or is aborted by its owner)."""
        job.removed = True

    def start(self) -> None:
        self.running = True
        self._arm()

    def _push(self, job: Job, slot: float) -> None:
        self._seq += 1
        heapq.heappush(self._due, (slot, self._seq, job))

    def _arm(self) -> None:
        when = math.inf
        if self.running and self._due and self._in_flight < self.max_in_flight:
            when = self._due[0][0]
        if self._deadlines and self._deadlines[0][0] < when:
            deadline = self._deadlines[0][0]
            when = max(align(deadline), deadline)
        if when == math.inf:
            return
        if self._timer is not None:
            if self._timer_at <= when:
                return
            self._timer.cancel()
        self._timer_at = when
        self._timer = self.loop.call_at(when, self._tick)

    def _tick(self) -> None:
        self._timer = None
        self._timer_at = math.inf
        self._ticking = True
        try:
            self._run_due()
        finally:
            self._ticking = False
        self._arm()

    def _run_due(self) -> None:
        loop = self.loop
        # The grid's float arithmetic must not leave a due entry a hair after its timer.
        now = loop.time() + 1e-9
        deadlines = self._deadlines
        while deadlines and deadlines[0][0] <= now:
            _, _, job, run = heapq.heappop(deadlines)
            if job.in_flight and job.run == run:
                loop.call_soon(self._expire, job, run)
        due = self._due
        while self.running and due and due[0][0] <= now and self._in_flight < self.max_in_flight:
            slot, _, job = heapq.heappop(due)
            if job.removed:
                continue
            if job.in_flight:
                job.deferred = slot
                continue
            self._start(job, slot)

    # -- one check -----------------------------------------------------------------------

    def _start(self, job: Job, slot: float, *, manual: bool = False) -> None:
        started = self.loop.time()
        lateness = 0.0 if manual else started - slot
        job.slot = slot
        job.started = started
        job.manual = manual
        job.timed_out = False
        job.in_flight = True
        job.run += 1
        self._in_flight += 1
        self._jobs_in_flight.add(job)
        self._seq += 1
        heapq.heappush(self._deadlines, (started + job.timeout, self._seq, job, job.run))
        if not manual:
            self.lateness.observe(lateness)
            if (
                self._on_late is not None
                and lateness > self._late_floor
                and lateness > self._late_share * job.interval
            ):
                self._on_late(lateness)
        run = job.run

        def done(error: BaseException | None) -> None:
            self._finish(job, run, error)

        abort = job.begin(done)
        if job.in_flight and job.run == run:
            job.abort = abort
            if not self._ticking and started + job.timeout < self._timer_at:
                self._arm()

    def _expire(self, job: Job, run: int) -> None:
        if job.in_flight and job.run == run and not job.timed_out:
            job.timed_out = True
            abort = job.abort
            if abort is not None:
                abort()

    def _finish(self, job: Job, run: int, error: BaseException | None) -> None:
        if not job.in_flight or job.run != run:
            return
        job.in_flight = False
        job.abort = None
        self._in_flight -= 1
        self._jobs_in_flight.discard(job)
        loop = self.loop
        latency = loop.time() - job.started
        lateness = 0.0 if job.manual else job.started - job.slot
        job.on_result(error, latency, lateness, job.timed_out)
        if self.running and not job.removed:
            if job.manual:
                if job.deferred is not None:
                    slot, job.deferred = job.deferred, None
                    self._start(job, slot)
            else:
                following, missed = next_slot(job.slot, job.started, job.interval)
                self.lateness.missed += missed
                self._push(job, following)
                if not self._ticking and (
                    following < self._timer_at or self._in_flight == self.max_in_flight - 1
                ):
                    self._arm()
        waiters = job.waiters
        if waiters and not job.in_flight:
            job.waiters = None
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    # -- waiting -------------------------------------------------------------------------

    async def wait_idle(self, job: Job) -> None:
        """Return once ``job`` has no check in flight."""
        while job.in_flight:
            waiter = self.loop.create_future()
            if job.waiters is None:
                job.waiters = []
            job.waiters.append(waiter)
            await waiter

    async def check_now(self, job: Job) -> None:
        """One check of ``job`` now (after the one in flight, if any), outside its schedule."""
        await self.wait_idle(job)
        self._start(job, self.loop.time(), manual=True)
        await self.wait_idle(job)

    def in_flight(self) -> list[Job]:
        return list(self._jobs_in_flight)

    async def stop(self, grace: float) -> int:
        """Start nothing more; wait up to ``grace`` for checks in flight, then abort the rest.

        Returns how many checks were still in flight after the aborts (they ignored them).
        """
        self.running = False
        self._due.clear()
        if self._timer is not None and not self._deadlines:
            self._timer.cancel()
            self._timer = None
            self._timer_at = math.inf
        flying = self.in_flight()
        if flying:
            waits = [asyncio.ensure_future(self.wait_idle(job)) for job in flying]
            _, pending = await asyncio.wait(waits, timeout=grace)
            for future in pending:
                future.cancel()
        left = self.in_flight()
        for job in left:
            job.timed_out = False
            if job.abort is not None:
                job.abort()
        if left:
            waits = [asyncio.ensure_future(self.wait_idle(job)) for job in left]
            _, pending = await asyncio.wait(waits, timeout=0.5)
            for future in pending:
                future.cancel()
        return len(self.in_flight())


def task_begin(
    loop: asyncio.AbstractEventLoop, start: Callable[[], Coroutine[Any, Any, object]]
) -> Begin:
    """A ``begin`` for coroutine checkers: one task per check, eager where Python has them."""

    async def run(done: Done) -> None:
        try:
            await start()
        except BaseException as exc:  # the driver classifies; cancellation ends here too
            done(exc)
        else:
            done(None)

    def begin(done: Done) -> Callable[[], object] | None:
        if EAGER_TASKS:
            task = asyncio.Task(run(done), loop=loop, eager_start=True)  # type: ignore[call-arg]
        else:
            task = loop.create_task(run(done))
        return None if task.done() else task.cancel

    return begin
