"""``EndpointRunner``: runs the checks of one endpoint on an event loop.

Each endpoint has one long-lived task: it sleeps until its next due time, runs one check
under the timeout, records the result, and moves the due time on by one interval from the
*scheduled* start, so lateness does not accumulate. A check that overruns its interval is
followed at once by the next one, never overlapped by it.

Due times are aligned up to a 10 ms grid. Endpoints due within the same 10 ms then wake in one
turn of the event loop, which at a thousand endpoints divides the scheduling cost by several
times; a check starts at most 10 ms after its unaligned due time.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import math
import time
from collections.abc import Callable
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

from ._classify import classify
from ._dependency import Checker, Endpoint
from ._exceptions import CheckError
from ._settings import CheckSettings

if TYPE_CHECKING:
    from ._snapshot import PoolStats

logger = logging.getLogger("dephealth")

#: Due times are aligned up to multiples of this many seconds (see the module docstring).
GRID = 0.01


def align(moment: float) -> float:
    """``moment`` rounded up to the scheduling grid."""
    return math.ceil(moment / GRID) * GRID


class CheckResult:
    """What one check produced: a detail, its latency, and the exception if it failed."""

    __slots__ = ("detail", "error", "latency")

    def __init__(self, detail: str, latency: float, error: BaseException | None) -> None:
        self.detail = detail
        self.latency = latency
        self.error = error


def describe_error(error: BaseException | None) -> str:
    """A log-safe description of a check failure: never raw driver text.

    Driver messages may echo DSNs or credentials, so only the exception type is named; the
    message of a :class:`CheckError` is the checker's own wording and is kept.
    """
    if error is None:
        return ""
    if isinstance(error, CheckError):
        return f"{type(error).__name__}: {error}"
    return type(error).__name__


class EndpointRunner:
    """Checks one endpoint: holds its checker, settings and task (its status is the recorder's)."""

    def __init__(
        self,
        endpoint: Endpoint,
        checker: Checker,
        settings: CheckSettings,
        executor: Callable[[], Executor],
    ) -> None:
        self.endpoint = endpoint
        self.checker = checker
        self.settings = settings
        self.is_async = inspect.iscoroutinefunction(checker.check)
        self._executor = executor
        self._pool_stats: Callable[[], PoolStats | None] | None = getattr(
            checker, "pool_stats", None
        )
        self.task: asyncio.Task[None] | None = None
        # A sync check keeps running in its thread after a timeout; the next check waits
        # for it rather than overlapping it.
        self._leftover: asyncio.Future[Any] | None = None
        self._lock: asyncio.Lock | None = None
        self.lateness: list[float] | None = None
        self.stopping = False
        #: ``time.monotonic()`` when the check in flight started (read by ``alive()``).
        self.in_flight_since: float | None = None

    def pool_stats(self) -> PoolStats | None:
        """The pool counts the checker reports, if any (never raises)."""
        if self._pool_stats is None:
            return None
        try:
            return self._pool_stats()
        except Exception:
            return None

    async def run_forever(
        self, first_due: float, record: Callable[[EndpointRunner, CheckResult], None]
    ) -> None:
        """Check at every interval from ``first_due`` (loop time) until cancelled."""
        loop = asyncio.get_running_loop()
        interval = self.settings.interval
        due = align(first_due)
        while True:
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if self.stopping:
                return
            if self.lateness is not None:
                self.lateness.append(loop.time() - due)
            await self.check_once(record)
            due = align(due + interval)
            now = loop.time()
            if due < now:
                due = now

    async def check_once(self, record: Callable[[EndpointRunner, CheckResult], None]) -> None:
        """Run one check (waiting for one already in flight) and record its result."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            self.in_flight_since = time.monotonic()
            try:
                result = await self._execute()
            finally:
                self.in_flight_since = None
            record(self, result)

    async def _execute(self) -> CheckResult:
        loop = asyncio.get_running_loop()
        timeout = self.settings.timeout
        started = loop.time()
        deadline = asyncio.timeout(timeout)
        try:
            async with deadline:
                if self._leftover is not None and not self._leftover.done():
                    await asyncio.wait((self._leftover,))
                self._leftover = None
                if self.is_async:
                    await self.checker.check(self.endpoint)  # type: ignore[misc]
                else:
                    future = loop.run_in_executor(
                        self._executor(), self.checker.check, self.endpoint
                    )
                    self._leftover = future
                    await asyncio.shield(future)
                    self._leftover = None
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if self._leftover is not None:
                self._leftover.add_done_callback(_consume_result)
            if deadline.expired():
                # The checker swallowed our timeout's cancellation and raised something else:
                # take the cancel request back, or it would kill this endpoint's task at its
                # next await (Python 3.11 leaves it pending).
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    task.uncancel()
                return CheckResult("timeout", loop.time() - started, exc)
            return CheckResult(classify(exc), loop.time() - started, exc)
        return CheckResult("ok", loop.time() - started, None)

    async def wait_idle(self) -> None:
        """Wait for a check that is in flight (scheduled or from ``check_now``)."""
        if self._lock is not None:
            async with self._lock:
                pass

    async def close(self) -> None:
        """Release what the checker holds; errors are logged, never raised."""
        closer = getattr(self.checker, "aclose", None) or getattr(self.checker, "close", None)
        if closer is None:
            return
        try:
            outcome = closer()
            if inspect.isawaitable(outcome):
                await outcome
        except Exception as exc:
            logger.warning(
                "dephealth: closing checker failed dependency=%s error=%s",
                self.endpoint.dependency,
                describe_error(exc),
            )


def _consume_result(future: asyncio.Future[Any]) -> None:
    # A timed-out sync check finishing later: read its outcome so it is never reported as
    # "exception was never retrieved".
    with contextlib.suppress(BaseException):
        future.result()
