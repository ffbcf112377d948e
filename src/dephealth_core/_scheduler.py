"""The scheduler: one :class:`EndpointRunner` per endpoint, their driver, and the stop protocol.

Every endpoint's checks run from one :class:`~._driver.CheckDriver` per loop (a heap of due
times and one timer, not a task per endpoint). At scale the first checks are spread over the
interval, so that a thousand endpoints do not fire together. When checks start late, one
WARNING says how far behind the engine is and what to change. Stopping lets checks in flight
finish (bounded), starts no new one, aborts what is left and closes the checkers, never
waiting forever on a check that ignores cancellation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import TYPE_CHECKING

from ._driver import DEFAULT_MAX_IN_FLIGHT, CheckDriver
from ._endpoint_runner import EndpointRunner
from ._exceptions import StateError
from ._snapshot import ScheduleStats

if TYPE_CHECKING:
    from ._endpoint_table import PreparedDependency
    from ._recorder import Recorder

logger = logging.getLogger("dephealth")

#: Above this many endpoints, first checks are spread by this step (seconds) apiece, up to
#: one interval, so that a thousand endpoints do not fire at once.
SPREAD_STEP = 0.001
#: How long ``stop()`` waits for checks in flight before cancelling them.
STOP_GRACE = 5.0
#: A check that starts later than this share of its interval (and at least ``LATE_FLOOR``
#: seconds) means the engine is behind its schedule.
LATE_SHARE = 0.1
LATE_FLOOR = 0.1


class Scheduler:
    """Runs the endpoints' checks on one loop; results go to the recorder."""

    def __init__(
        self, recorder: Recorder, sync_workers: int, max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
    ) -> None:
        self._recorder = recorder
        self._record = recorder.record
        self._sync_workers = sync_workers
        self.max_in_flight = max_in_flight
        self.runners: dict[str, EndpointRunner] = {}
        self._executor: ThreadPoolExecutor | None = None
        self._driver: CheckDriver | None = None
        self._warned = False

    def schedule_stats(self) -> ScheduleStats | None:
        """Lateness and missed slots since the checks started, ``None`` before."""
        return None if self._driver is None else self._driver.lateness.stats()

    def driver(self, loop: asyncio.AbstractEventLoop) -> CheckDriver:
        """The driver on ``loop`` (a new one when the engine moved to another loop)."""
        if self._driver is None or self._driver.loop is not loop:
            self._driver = CheckDriver(
                loop,
                max_in_flight=self.max_in_flight,
                late_share=LATE_SHARE,
                late_floor=LATE_FLOOR,
                on_late=self._behind,
            )
            self._warned = False
        return self._driver

    def add(self, prepared: PreparedDependency, start_on: asyncio.AbstractEventLoop | None) -> None:
        """Create the runners of a resolved dependency's endpoints, started when ``start_on``."""
        assert prepared.checker is not None
        for endpoint in prepared.endpoints:
            runner = EndpointRunner(
                endpoint, prepared.checker, prepared.settings, self._get_executor, self._record
            )
            self.runners[endpoint.key] = runner
            self._recorder.track(endpoint, prepared.settings)
            if start_on is not None:
                self.start(start_on, runner, start_on.time() + prepared.settings.initial_delay)

    def remove(self, prepared: PreparedDependency) -> None:
        """Unschedule the endpoints, abort their checks, close their checkers afterwards."""
        for endpoint in prepared.endpoints:
            self._recorder.forget(endpoint.key)
            runner = self.runners.pop(endpoint.key, None)
            if runner is None:
                continue
            driver = self._driver
            if driver is not None:
                driver.remove(runner.job)
                if runner.job.abort is not None:
                    runner.job.abort()
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                continue
            task = loop.create_task(_close_later(runner, driver))
            _closing.add(task)
            task.add_done_callback(_closing.discard)

    def reset(self) -> None:
        """Forget runners, statuses and the thread pool (after a fork, or to change loops)."""
        self.runners = {}
        self._recorder.clear()
        self._executor = None
        self._driver = None

    def start_all(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start every runner, first checks spread over the interval at scale."""
        driver = self.driver(loop)
        now = loop.time()
        count = max(len(self.runners), 1)
        for index, runner in enumerate(self.runners.values()):
            settings = runner.settings
            step = min(settings.interval / count, SPREAD_STEP)
            driver.add(runner.job, now + settings.initial_delay + index * step)
        driver.start()

    def start(self, loop: asyncio.AbstractEventLoop, runner: EndpointRunner, due: float) -> None:
        """Schedule one runner; its first check is due at ``due`` (loop time)."""
        driver = self.driver(loop)
        driver.add(runner.job, due)
        driver.start()

    async def check_all(self) -> None:
        """Check every endpoint once, waiting for a check already in flight."""
        driver = self.driver(asyncio.get_running_loop())
        await asyncio.gather(*(driver.check_now(r.job) for r in self.runners.values()))

    async def stop(self, timeout: float, also_cancel: Iterable[asyncio.Task[None]] = ()) -> None:
        """The stop protocol, bounded by ``timeout`` seconds per phase."""
        tasks = list(also_cancel)
        for task in tasks:
            task.cancel()
        runners = list(self.runners.values())
        driver = self._driver
        if driver is not None:
            # Bounded: a check that swallows its cancellation must not hold stop(), and with
            # it the app's shutdown, forever.
            ignoring = await driver.stop(timeout)
            if ignoring:
                logger.warning(
                    "dephealth: %d check(s) ignored cancellation; not waiting for them", ignoring
                )
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
        closing = [asyncio.ensure_future(r.close()) for r in runners]
        if closing:
            _, stuck = await asyncio.wait(closing, timeout=timeout)
            for future in stuck:
                future.cancel()
            if stuck:
                logger.warning(
                    "dephealth: %d checker(s) did not close within %.1fs", len(stuck), timeout
                )
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def _behind(self, lateness: float) -> None:
        if self._warned:
            return
        self._warned = True
        asked = sum(1.0 / runner.settings.interval for runner in self.runners.values())
        missed = self._driver.lateness.missed if self._driver is not None else 0
        logger.warning(
            "dephealth: checks start late: the engine is %.2fs behind its schedule "
            "(%d endpoints ask for %.0f checks a second; %d slots missed so far); lengthen "
            "the interval or check fewer endpoints per process. The "
            "dephealth_check_lateness_seconds metric shows how late checks start",
            lateness,
            len(self.runners),
            asked,
            missed,
        )

    def _get_executor(self) -> Executor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=self._sync_workers, thread_name_prefix="dephealth-sync"
            )
        return self._executor


def call_on_loop(loop: asyncio.AbstractEventLoop | None, action: Callable[[], None]) -> None:
    """Run ``action`` on ``loop`` and wait for it: at once when on it or when it is not running."""
    if loop is None or loop.is_closed():
        action()
        return
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop or not loop.is_running():
        action()
        return
    done = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            action()
        except BaseException as exc:
            failure.append(exc)
        finally:
            done.set()

    loop.call_soon_threadsafe(run)
    if not done.wait(30.0):
        raise StateError("the checker loop did not apply the change within 30s")
    if failure:
        raise failure[0]


_closing: set[asyncio.Task[None]] = set()


async def _close_later(runner: EndpointRunner, driver: CheckDriver | None) -> None:
    if driver is not None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(driver.wait_idle(runner.job), STOP_GRACE)
    await runner.close()
