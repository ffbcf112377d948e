"""The scheduler: one :class:`EndpointRunner` per endpoint, their tasks, and the stop protocol.

At scale the first checks are spread over the interval, so that a thousand endpoints do not
fire together. Stopping lets checks in flight finish (bounded), starts no new one, cancels what
is left and closes the checkers, never waiting forever on a check that ignores cancellation.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import TYPE_CHECKING

from ._endpoint_runner import EndpointRunner
from ._exceptions import StateError

if TYPE_CHECKING:
    from ._endpoint_table import PreparedDependency
    from ._recorder import Recorder

logger = logging.getLogger("dephealth")

#: Above this many endpoints, first checks are spread by this step (seconds) apiece, up to
#: one interval, so that a thousand endpoints do not fire at once.
SPREAD_STEP = 0.001
#: How long ``stop()`` waits for checks in flight before cancelling them.
STOP_GRACE = 5.0


class Scheduler:
    """Runs the endpoints' checks on one loop; results go to the recorder."""

    def __init__(self, recorder: Recorder, sync_workers: int) -> None:
        self._recorder = recorder
        self._record = recorder.record
        self._sync_workers = sync_workers
        self.runners: dict[str, EndpointRunner] = {}
        self._executor: ThreadPoolExecutor | None = None

    def add(self, prepared: PreparedDependency, start_on: asyncio.AbstractEventLoop | None) -> None:
        """Create the runners of a resolved dependency's endpoints, started when ``start_on``."""
        assert prepared.checker is not None
        for endpoint in prepared.endpoints:
            runner = EndpointRunner(
                endpoint, prepared.checker, prepared.settings, self._get_executor
            )
            self.runners[endpoint.key] = runner
            self._recorder.track(endpoint, prepared.settings)
            if start_on is not None:
                self.start(start_on, runner, start_on.time() + prepared.settings.initial_delay)

    def remove(self, prepared: PreparedDependency) -> None:
        """Cancel the endpoints' tasks and close their checkers once the tasks have ended."""
        for endpoint in prepared.endpoints:
            self._recorder.forget(endpoint.key)
            runner = self.runners.pop(endpoint.key, None)
            if runner is None:
                continue
            if runner.task is not None:
                runner.task.cancel()
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                continue
            task = loop.create_task(_close_later(runner))
            _closing.add(task)
            task.add_done_callback(_closing.discard)

    def reset(self) -> None:
        """Forget runners, statuses and the thread pool (after a fork, or to change loops)."""
        self.runners = {}
        self._recorder.clear()
        self._executor = None

    def start_all(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start every runner, first checks spread over the interval at scale."""
        now = loop.time()
        count = max(len(self.runners), 1)
        for index, runner in enumerate(self.runners.values()):
            settings = runner.settings
            step = min(settings.interval / count, SPREAD_STEP)
            self.start(loop, runner, now + settings.initial_delay + index * step)

    def start(self, loop: asyncio.AbstractEventLoop, runner: EndpointRunner, due: float) -> None:
        """Start one runner's task; its first check is due at ``due`` (loop time)."""
        runner.stopping = False
        runner.task = loop.create_task(
            runner.run_forever(due, self._record), name=f"dephealth-check:{runner.endpoint.key}"
        )

    async def check_all(self) -> None:
        """Check every endpoint once, waiting for a check already in flight."""
        await asyncio.gather(*(r.check_once(self._record) for r in self.runners.values()))

    async def stop(self, timeout: float, also_cancel: Iterable[asyncio.Task[None]] = ()) -> None:
        """The stop protocol, bounded by ``timeout`` seconds per phase."""
        deadline = time.monotonic() + timeout
        runners = list(self.runners.values())
        tasks = [r.task for r in runners if r.task is not None]
        tasks.extend(also_cancel)
        for runner in runners:
            runner.stopping = True
        idle = [asyncio.ensure_future(r.wait_idle()) for r in runners]
        if idle:
            _, pending = await asyncio.wait(idle, timeout=timeout)
            for future in pending:
                future.cancel()
        for task in tasks:
            task.cancel()
        if tasks:
            # Bounded: a check that swallows its cancellation must not hold stop(), and with
            # it the app's shutdown, forever.
            left = max(deadline - time.monotonic(), 0.1)
            _, ignoring = await asyncio.wait(tasks, timeout=left)
            if ignoring:
                logger.warning(
                    "dephealth: %d check(s) ignored cancellation; not waiting for them",
                    len(ignoring),
                )
        for runner in runners:
            runner.task = None
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


async def _close_later(runner: EndpointRunner) -> None:
    if runner.task is not None:
        await asyncio.gather(runner.task, return_exceptions=True)
    await runner.close()
