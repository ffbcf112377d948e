"""``EndpointRunner``: how one endpoint's check starts, and what its outcome becomes.

The runner holds the endpoint's checker and settings and its place in the
:class:`~._driver.CheckDriver` (a :class:`~._driver.Job`), which decides when a check starts
and when it has run out of time. A checker with ``begin_check(endpoint, done)`` (the TCP
checker) starts without a task; a coroutine checker runs in a task of its own (started eagerly
on Python 3.12+); a blocking checker runs in the scheduler's thread pool. A blocking check that
outlives its timeout keeps running in its thread: the next check of the endpoint waits for it
rather than overlapping it.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

from ._classify import classify
from ._dependency import Checker, Endpoint
from ._driver import EAGER_TASKS, Done, Job
from ._exceptions import CheckError
from ._settings import CheckSettings

if TYPE_CHECKING:
    from ._snapshot import PoolStats

logger = logging.getLogger("dephealth")


class CheckResult:
    """What one check produced: a detail, its latency, its start lateness, the exception."""

    __slots__ = ("detail", "error", "latency", "lateness")

    def __init__(
        self, detail: str, latency: float, error: BaseException | None, lateness: float = 0.0
    ) -> None:
        self.detail = detail
        self.latency = latency
        self.error = error
        self.lateness = lateness


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
    """Checks one endpoint: its checker, settings and driver job (its status: the recorder)."""

    def __init__(
        self,
        endpoint: Endpoint,
        checker: Checker,
        settings: CheckSettings,
        executor: Callable[[], Executor],
        record: Callable[[EndpointRunner, CheckResult], None],
    ) -> None:
        self.endpoint = endpoint
        self.checker = checker
        self.settings = settings
        self.is_async = inspect.iscoroutinefunction(checker.check)
        self._executor = executor
        self._record = record
        self._begin_check: Callable[[Endpoint, Done], Callable[[], object] | None] | None = getattr(
            checker, "begin_check", None
        )
        self._pool_stats: Callable[[], PoolStats | None] | None = getattr(
            checker, "pool_stats", None
        )
        self.job = Job(self.begin, settings.interval, settings.timeout, self._on_result)
        self._leftover: asyncio.Future[Any] | None = None
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

    def begin(self, done: Done) -> Callable[[], object] | None:
        """Start one check; ``done`` gets its outcome. Returns how to abort it, if it runs on."""
        self.in_flight_since = time.monotonic()
        if self._begin_check is not None:
            return self._begin_check(self.endpoint, done)
        loop = asyncio.get_running_loop()
        if EAGER_TASKS:
            task = asyncio.Task(self._run(done), loop=loop, eager_start=True)  # type: ignore[call-arg,unused-ignore]
        else:
            task = loop.create_task(self._run(done))
        return None if task.done() else task.cancel

    async def _run(self, done: Done) -> None:
        try:
            if self.is_async:
                await self.checker.check(self.endpoint)  # type: ignore[misc]
            else:
                await self._run_blocking()
        except (Exception, asyncio.CancelledError) as exc:
            done(exc)
        else:
            done(None)

    async def _run_blocking(self) -> None:
        if self._leftover is not None and not self._leftover.done():
            await asyncio.wait((self._leftover,))
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor(), self.checker.check, self.endpoint)
        self._leftover = future
        try:
            await asyncio.shield(future)
        except BaseException:
            future.add_done_callback(_consume_result)
            raise
        self._leftover = None

    def _on_result(
        self, error: BaseException | None, latency: float, lateness: float, timed_out: bool
    ) -> None:
        self.in_flight_since = None
        if timed_out:
            # Whatever the checker made of the cancellation (some wrap it in their own error).
            detail = "timeout"
        elif error is None:
            detail = "ok"
        elif isinstance(error, asyncio.CancelledError):
            return  # stopped or removed: no result
        else:
            detail = classify(error)
        self._record(self, CheckResult(detail, latency, error, lateness))

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
