"""The recorder: the one owner of every endpoint's status.

A check result comes in from an :class:`~._endpoint_runner.EndpointRunner`; the recorder moves
the endpoint's threshold state, builds its next :class:`EndpointStatus`, logs failures and
recoveries, tells the listeners, and asks for a snapshot (urgent when something a reader would
notice changed). Everything else reads statuses from the published snapshot.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ._endpoint_runner import CheckResult, describe_error
from ._exceptions import CheckError
from ._snapshot import EndpointStatus
from ._state import ThresholdState
from ._status import UNKNOWN, status_of

if TYPE_CHECKING:
    from ._dependency import Endpoint
    from ._endpoint_runner import EndpointRunner
    from ._settings import CheckSettings

logger = logging.getLogger("dephealth")


@dataclass(frozen=True, slots=True)
class StateChange:
    """A transition of one endpoint, as passed to ``on_change`` listeners."""

    previous: EndpointStatus
    current: EndpointStatus

    @property
    def key(self) -> str:
        """``"dependency:host:port"``."""
        return self.current.key


Listener = Callable[[StateChange], Any]


def unknown_status(endpoint: Endpoint) -> EndpointStatus:
    """The status of an endpoint before its first check."""
    return EndpointStatus(
        healthy=None,
        status=UNKNOWN,
        detail=UNKNOWN,
        latency=0.0,
        type=endpoint.type,
        name=endpoint.dependency,
        host=endpoint.host,
        port=endpoint.port,
        critical=endpoint.critical,
        last_checked_at=None,
        labels=endpoint.labels,
    )


class Recorder:
    """Turns check results into statuses; calls ``after_record(urgent)`` after each one."""

    def __init__(
        self, after_record: Callable[[bool], None], log: logging.Logger | None = None
    ) -> None:
        self._log = log if log is not None else logger
        self._after_record = after_record
        self._statuses: dict[str, EndpointStatus] = {}
        self._thresholds: dict[str, ThresholdState] = {}
        self._listeners: list[Listener] = []

    @property
    def statuses(self) -> Mapping[str, EndpointStatus]:
        """Key -> current status, in the order endpoints were tracked (a live view)."""
        return self._statuses

    def track(self, endpoint: Endpoint, settings: CheckSettings) -> None:
        """Start keeping the status of ``endpoint``: ``unknown`` until its first result."""
        self._statuses[endpoint.key] = unknown_status(endpoint)
        self._thresholds[endpoint.key] = ThresholdState(
            settings.failure_threshold, settings.success_threshold
        )

    def restore(self, status: EndpointStatus) -> None:
        """Continue a tracked endpoint from ``status`` (loaded from the workers' shared file).

        Health and the failure streak carry over, so the next result is judged against the
        thresholds as the previous checking worker would have judged it.
        """
        state = self._thresholds.get(status.key)
        if state is None:
            return
        self._statuses[status.key] = status
        state.healthy = status.healthy
        state.consecutive_failures = status.consecutive_failures
        state.consecutive_successes = 0 if status.consecutive_failures else 1

    def forget(self, key: str) -> None:
        """Drop an endpoint; a result of a check still in flight for it is ignored."""
        self._statuses.pop(key, None)
        self._thresholds.pop(key, None)

    def clear(self) -> None:
        """Forget every endpoint (after a fork, or when the engine moves to another loop)."""
        self._statuses = {}
        self._thresholds = {}

    def on_change(self, listener: Listener) -> Callable[[], None]:
        """Add a listener; returns a function that removes it."""
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    def record(self, runner: EndpointRunner, result: CheckResult) -> None:
        """Take one check result of ``runner``'s endpoint."""
        key = runner.endpoint.key
        previous = self._statuses.get(key)
        state = self._thresholds.get(key)
        if previous is None or state is None:
            return  # removed while its check was in flight
        success = result.detail == "ok"
        changed = state.record(success)
        now = datetime.now(UTC)
        # A CheckError may name its own category (dephealth's status_category=).
        error = result.error
        status = error.status if isinstance(error, CheckError) else status_of(result.detail)
        current = EndpointStatus(
            healthy=state.healthy,
            status=status,
            detail=result.detail,
            latency=result.latency,
            type=previous.type,
            name=previous.name,
            host=previous.host,
            port=previous.port,
            critical=previous.critical,
            last_checked_at=now,
            labels=previous.labels,
            last_success_at=now if success else previous.last_success_at,
            consecutive_failures=state.consecutive_failures,
            transitions=previous.transitions
            + (1 if changed and previous.healthy is not None else 0),
            pool=runner.pool_stats(),
            histogram=previous.histogram.observe(result.latency),
            lateness=result.lateness,
        )
        self._statuses[key] = current
        self._after_record(changed or status != previous.status or result.detail != previous.detail)
        if not success:
            _log_failure(runner.endpoint, result, state if changed else None, self._log)
        elif changed and previous.healthy is False:
            self._log.info(
                "dephealth: dependency recovered dependency=%s host=%s port=%s",
                current.name,
                current.host,
                current.port,
            )
        if (changed or status != previous.status) and self._listeners:
            self._notify(StateChange(previous, current))

    def _notify(self, change: StateChange) -> None:
        for listener in list(self._listeners):
            try:
                outcome = listener(change)
                if inspect.isawaitable(outcome):
                    task = asyncio.get_running_loop().create_task(_guard(outcome))
                    _background_tasks.add(task)
                    task.add_done_callback(_background_tasks.discard)
            except Exception as exc:
                logger.error("dephealth: on_change listener failed error=%s", describe_error(exc))


def _log_failure(
    endpoint: Endpoint, result: CheckResult, changed: ThresholdState | None, log: logging.Logger
) -> None:
    if result.detail == "error" and not isinstance(result.error, CheckError):
        log.error(
            "dephealth: check raised an unexpected error dependency=%s host=%s port=%s error=%s",
            endpoint.dependency,
            endpoint.host,
            endpoint.port,
            describe_error(result.error),
        )
    else:
        log.warning(
            "dephealth: check failed dependency=%s host=%s port=%s detail=%s error=%s",
            endpoint.dependency,
            endpoint.host,
            endpoint.port,
            result.detail,
            describe_error(result.error),
        )
    if changed is not None and changed.healthy is False:
        log.error(
            "dephealth: dependency unhealthy dependency=%s host=%s port=%s consecutive_failures=%d",
            endpoint.dependency,
            endpoint.host,
            endpoint.port,
            changed.consecutive_failures,
        )


_background_tasks: set[asyncio.Task[Any]] = set()


async def _guard(awaitable: Any) -> None:
    try:
        await awaitable
    except Exception as exc:
        logger.error("dephealth: on_change listener failed error=%s", describe_error(exc))
