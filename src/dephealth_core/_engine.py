"""``DependencyHealth``: the engine that schedules checks, keeps state and publishes snapshots."""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from . import _config
from ._dependency import Checker, Dependency, Endpoint
from ._exceptions import ConfigError, StateError
from ._publisher import Publisher
from ._scheduler import CheckResult, EndpointRunner, describe_error
from ._settings import CheckSettings
from ._snapshot import EndpointStatus, Snapshot
from ._status import UNKNOWN, status_of
from ._validation import Duration, check_bool, check_labels, check_name

if TYPE_CHECKING:
    from prometheus_client.registry import CollectorRegistry

    from ._runner import BackgroundRunner

logger = logging.getLogger("dephealth")

#: Above this many endpoints, first checks are spread by this step (seconds) apiece, up to
#: one interval, so that a thousand endpoints do not fire at once.
SPREAD_STEP = 0.001
#: How long ``stop()`` waits for checks in flight before cancelling them.
STOP_GRACE = 5.0


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


@dataclass(slots=True)
class _Prepared:
    dependency: Dependency
    settings: CheckSettings
    critical: bool
    labels: Mapping[str, str]
    endpoints: tuple[Endpoint, ...] = ()
    checker: Checker | None = None


class DependencyHealth:
    """Checks a service's dependencies in the background and keeps their state.

    Args:
        name: the service name (``name`` label); ``DEPHEALTH_NAME`` when omitted.
        group: the service group (``group`` label); ``DEPHEALTH_GROUP`` when omitted.
        *dependencies: what the factories (``postgres_check``...) return.
        check_interval: default interval for every dependency (timedelta or seconds).
        timeout: default timeout.
        initial_delay: default delay before the first check.
        failure_threshold: default failures in a row that turn a healthy endpoint unhealthy.
        success_threshold: default successes in a row that turn it healthy again.
        registry: the prometheus_client registry for the metrics (default: the global one).
        metrics: ``False`` exports no metrics at all.
        environ: where ``DEPHEALTH_*`` variables are read (default: ``os.environ``).
        sync_workers: size of the thread pool that runs blocking checks.

    Raises:
        ConfigError: for any invalid setting, naming the dependency and the field.
    """

    def __init__(
        self,
        name: str | None = None,
        group: str | None = None,
        *dependencies: Dependency,
        check_interval: Duration | None = None,
        timeout: Duration | None = None,
        initial_delay: Duration | None = None,
        failure_threshold: int | None = None,
        success_threshold: int | None = None,
        registry: CollectorRegistry | None = None,
        metrics: bool = True,
        environ: Mapping[str, str] | None = None,
        sync_workers: int = 4,
    ) -> None:
        env = os.environ if environ is None else environ
        for dependency in dependencies:
            _require_dependency(dependency)
        merged_settings = _config.merge_settings(
            {
                "name": name,
                "group": group,
                "check_interval": check_interval,
                "timeout": timeout,
                "initial_delay": initial_delay,
                "failure_threshold": failure_threshold,
                "success_threshold": success_threshold,
            },
            dependencies,
            environ=env,
        )
        settings = merged_settings.keywords
        self.name = check_name(settings.get("name"), what="service")
        self.group = check_name(settings.get("group"), what="group")
        self.defaults = CheckSettings.build(
            interval=settings.get("check_interval"),
            timeout=settings.get("timeout"),
            initial_delay=settings.get("initial_delay"),
            failure_threshold=settings.get("failure_threshold"),
            success_threshold=settings.get("success_threshold"),
        )
        if not isinstance(sync_workers, int) or isinstance(sync_workers, bool) or sync_workers < 1:
            raise ConfigError("must be a positive integer", field="sync_workers")
        self._sync_workers = sync_workers
        self._environ = env
        merged = merged_settings.dependencies
        self._prepared: dict[str, _Prepared] = {}
        for dependency in merged:
            self._add_prepared(self._prepare(dependency))

        self._statuses: dict[str, EndpointStatus] = {}
        self._runners: dict[str, EndpointRunner] = {}
        self._listeners: list[Listener] = []
        self._version = 0
        self._snapshot = Snapshot(0, self.name, self.group, MappingProxyType({}))
        self._publisher = Publisher(self._publish)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._state = "new"
        self._activated = False
        self._heartbeat_task: asyncio.Task[None] | None = None
        self._last_beat = time.monotonic()
        self._beat_period = 1.0
        self._executor: ThreadPoolExecutor | None = None
        self._runner: BackgroundRunner | None = None
        self._pid = os.getpid()
        self.collector = None
        if metrics:
            from ._metrics import DependencyMetrics

            self.collector = DependencyMetrics(self, registry)

    # -- configuration -------------------------------------------------------------------

    @classmethod
    def from_config(
        cls,
        config: Mapping[str, Any] | None = None,
        *dependencies: Dependency,
        toml_path: str | os.PathLike[str] | None = None,
        environ: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> DependencyHealth:
        """Build an instance from a settings mapping and/or a TOML file.

        Precedence: ``overrides`` and ``dependencies`` (code), then the environment, then
        ``config`` and the TOML file, then the defaults.
        """
        env = os.environ if environ is None else environ
        file_config = _config.load_toml(toml_path) if toml_path is not None else {}
        merged = _config.merge_settings(
            overrides, dependencies, environ=env, file={**file_config, **dict(config or {})}
        )
        kwargs = merged.keywords
        name = kwargs.pop("name", None)
        group = kwargs.pop("group", None)
        return cls(name, group, *merged.dependencies, environ=env, **kwargs)

    def _prepare(self, dependency: Dependency) -> _Prepared:
        _require_dependency(dependency)
        dependency.validate()
        name = dependency.name
        settings = CheckSettings.build(
            interval=dependency.interval,
            timeout=dependency.timeout,
            initial_delay=dependency.initial_delay,
            failure_threshold=dependency.failure_threshold,
            success_threshold=dependency.success_threshold,
            defaults=self.defaults,
            dependency=name,
        )
        prepared = _Prepared(
            dependency=dependency,
            settings=settings,
            critical=check_bool(dependency.critical, field="critical", dependency=name),
            labels=MappingProxyType(check_labels(dependency.labels, dependency=name)),
        )
        if not dependency.is_lazy:
            self._resolve(prepared)
        return prepared

    def _resolve(self, prepared: _Prepared) -> None:
        dependency = prepared.dependency
        target = dependency.resolve_target()
        endpoints = tuple(
            Endpoint(
                dependency=dependency.name,
                type=dependency.type,
                host=host,
                port=port,
                critical=prepared.critical,
                labels=prepared.labels,
            )
            for host, port in target.hosts
        )
        keys = [endpoint.key for endpoint in endpoints]
        if len(set(keys)) != len(keys):
            raise ConfigError(
                "the same host and port appear twice", dependency=dependency.name, field="url"
            )
        # The checker sees the effective timeout (global default included): a pool borrow can
        # give up just before it (pool_exhausted), and blocking drivers get socket timeouts.
        prepared.checker = dependency.kind.make_checker(
            dependency.replace(timeout=prepared.settings.timeout), target
        )
        prepared.endpoints = endpoints

    def _add_prepared(self, prepared: _Prepared) -> None:
        name = prepared.dependency.name
        if name in self._prepared:
            raise ConfigError("duplicate dependency name", dependency=name, field="name")
        self._prepared[name] = prepared

    # -- public state ------------------------------------------------------------------

    @property
    def snapshot(self) -> Snapshot:
        """The latest published snapshot (immutable; safe from any thread)."""
        return self._snapshot

    @property
    def registry(self) -> CollectorRegistry | None:
        """The registry the metrics are registered in; ``None`` with ``metrics=False``."""
        return self.collector.registry if self.collector is not None else None

    @property
    def dependencies(self) -> tuple[Dependency, ...]:
        """The declared dependencies, in order."""
        return tuple(p.dependency for p in self._prepared.values())

    @property
    def running(self) -> bool:
        """True between ``start()`` and ``stop()``."""
        return self._state == "running"

    def health(self) -> dict[str, bool]:
        """Dependency name -> healthy, for dependencies with at least one result."""
        return self._snapshot.health()

    def health_details(self) -> dict[str, EndpointStatus]:
        """``"dependency:host:port"`` -> :class:`EndpointStatus`.

        Empty before the checks start (or ``check_now`` runs); from then on every endpoint is
        listed, those not checked yet with status ``unknown``.
        """
        return dict(self._snapshot.endpoints)

    def alive(self) -> tuple[bool, str]:
        """Whether the engine makes progress: ``(ok, reason)``; used by ``/livez``."""
        if self._state != "running":
            return True, self._state
        runner = self._runner
        if runner is not None and not runner.alive:
            return False, "the background checker thread has died"
        stalled_for = time.monotonic() - self._last_beat
        limit = 2 * min(
            (p.settings.interval for p in self._prepared.values()),
            default=self.defaults.interval,
        )
        limit = max(limit, 2 * self._beat_period)
        if stalled_for > limit:
            return False, f"the checker loop has made no progress for {stalled_for:.1f}s"
        now = time.monotonic()
        for endpoint_runner in list(self._runners.values()):
            # A check past its timeout by two intervals ignores its cancellation: its
            # endpoint would keep its last result forever while the loop runs on.
            since = endpoint_runner.in_flight_since
            settings = endpoint_runner.settings
            if since is not None and now - since > settings.timeout + 2 * settings.interval:
                return False, (
                    f"the check of {endpoint_runner.endpoint.key} has not ended for "
                    f"{now - since:.1f}s (timeout {settings.timeout:g}s)"
                )
        return True, "running"

    def on_change(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(StateChange)`` on every change of an endpoint's health or status.

        Listeners run on the engine's loop; a coroutine function is scheduled as a task.
        Exceptions are logged and never reach the engine. Returns a function that removes
        the listener.
        """
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    # -- lifecycle on the running loop -------------------------------------------------

    async def start(self) -> None:
        """Start checking on the running event loop.

        Raises:
            StateError: when already started.
            ConfigError: when a lazy pool or client resolves to something unsupported.
        """
        if self._state not in ("new", "stopped"):
            raise StateError(f"DependencyHealth {self.name!r} is already started")
        self._check_fork()
        loop = asyncio.get_running_loop()
        if self._loop is not None and self._loop is not loop and self._activated:
            self._reset_runtime()
        self._loop = loop
        self._activate()
        self._state = "running"
        now = loop.time()
        count = max(len(self._runners), 1)
        for index, runner in enumerate(self._runners.values()):
            settings = runner.settings
            step = min(settings.interval / count, SPREAD_STEP)
            first_due = now + settings.initial_delay + index * step
            self._start_task(runner, first_due)
        self._beat_period = min(
            1.0, min((p.settings.interval for p in self._prepared.values()), default=15.0) / 4
        )
        self._last_beat = time.monotonic()
        self._heartbeat_task = loop.create_task(self._heartbeat(), name="dephealth-heartbeat")
        self._publisher.flush()
        logger.info(
            "dephealth: started name=%s group=%s endpoints=%d",
            self.name,
            self.group,
            len(self._runners),
        )

    async def stop(self, timeout: float = STOP_GRACE) -> None:
        """Stop checking; idempotent. Waits up to ``timeout`` seconds for checks in flight.

        Metrics and state keep their last values.
        """
        if self._state != "running":
            return
        self._state = "stopping"
        deadline = time.monotonic() + timeout
        self._publisher.flush()
        tasks = [r.task for r in self._runners.values() if r.task is not None]
        if self._heartbeat_task is not None:
            self._heartbeat_task.cancel()
            tasks.append(self._heartbeat_task)
        # Let checks in flight finish (bounded), start no new one, then cancel what is left.
        for runner in self._runners.values():
            runner.stopping = True
        idle = [asyncio.ensure_future(r.wait_idle()) for r in self._runners.values()]
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
        for runner in self._runners.values():
            runner.task = None
        closing = [asyncio.ensure_future(r.close()) for r in self._runners.values()]
        if closing:
            _, stuck = await asyncio.wait(closing, timeout=timeout)
            for future in stuck:
                future.cancel()
            if stuck:
                logger.warning(
                    "dephealth: %d checker(s) did not close within %.1fs", len(stuck), timeout
                )
        self._heartbeat_task = None
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
        self._state = "stopped"
        self._publisher.flush()
        logger.info("dephealth: stopped name=%s", self.name)

    async def check_now(self) -> dict[str, EndpointStatus]:
        """Check every endpoint once, now, and return the details.

        Works whether or not the engine is started (the CLI and startup gates use it); a
        check already in flight for an endpoint is waited for rather than overlapped.
        """
        loop = asyncio.get_running_loop()
        if self._loop is None or not self._activated:
            self._loop = loop
        elif self._loop is not loop:
            raise StateError("check_now() must run on the loop the checks run on")
        self._activate()
        await asyncio.gather(*(r.check_once(self._record) for r in self._runners.values()))
        self._publisher.flush()
        return self.health_details()

    # -- background mode (sync apps) ---------------------------------------------------

    def start_background(self, timeout: float = 30.0) -> None:
        """Start checking in the process's background thread (for WSGI and sync apps)."""
        from ._runner import BackgroundRunner, track_background

        runner = BackgroundRunner.get()
        self._runner = runner
        runner.run(self.start(), timeout=timeout)
        track_background(self)

    def stop_background(self, timeout: float = STOP_GRACE + 1.0) -> None:
        """Stop checks started with :meth:`start_background`; idempotent and bounded."""
        from ._runner import untrack_background

        untrack_background(self)
        runner = self._runner
        if runner is None or self._state != "running":
            return
        if os.getpid() != self._pid or not runner.alive:
            self._state = "stopped"
            return
        runner.run(self.stop(timeout=timeout - 1.0), timeout=timeout)

    def check_now_background(self, timeout: float = 60.0) -> dict[str, EndpointStatus]:
        """:meth:`check_now` from a thread with no running loop (Django, Flask, scripts)."""
        from ._runner import BackgroundRunner

        runner = self._runner if self._runner is not None else BackgroundRunner.get()
        self._runner = runner
        result: dict[str, EndpointStatus] = runner.run(self.check_now(), timeout=timeout)
        return result

    # -- dynamic endpoints -------------------------------------------------------------

    def add_dependency(self, dependency: Dependency) -> None:
        """Add a dependency; on a running engine its checks start at once."""
        _require_dependency(dependency)
        merged = _config.merge_environment([dependency], self._environ)[0]
        prepared = self._prepare(merged)
        if prepared.dependency.name in self._prepared:
            raise ConfigError(
                "duplicate dependency name", dependency=prepared.dependency.name, field="name"
            )
        self._call_on_loop(lambda: self._apply_add(prepared))

    def remove_dependency(self, name: str) -> None:
        """Remove a dependency, its endpoints and all their metric series."""
        if name not in self._prepared:
            raise KeyError(name)
        self._call_on_loop(lambda: self._apply_remove(name))

    def replace_dependency(self, dependency: Dependency) -> None:
        """Replace the dependency of the same name (new address, options or settings)."""
        _require_dependency(dependency)
        merged = _config.merge_environment([dependency], self._environ)[0]
        prepared = self._prepare(merged)
        name = prepared.dependency.name
        if name not in self._prepared:
            raise KeyError(name)

        def apply() -> None:
            self._apply_remove(name)
            self._apply_add(prepared)

        self._call_on_loop(apply)

    def _call_on_loop(self, action: Callable[[], None]) -> None:
        loop = self._loop
        if loop is None or not self._activated or loop.is_closed():
            action()
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            action()
            return
        if not loop.is_running():
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

    def _apply_add(self, prepared: _Prepared) -> None:
        self._add_prepared(prepared)
        if not self._activated:
            return
        if prepared.checker is None:
            self._resolve(prepared)
        for runner in self._make_runners(prepared):
            self._runners[runner.endpoint.key] = runner
            self._statuses[runner.endpoint.key] = runner.status
            if self._state == "running" and self._loop is not None:
                self._start_task(runner, self._loop.time() + prepared.settings.initial_delay)
        self._publisher.flush()

    def _apply_remove(self, name: str) -> None:
        prepared = self._prepared.pop(name)
        for endpoint in prepared.endpoints:
            runner = self._runners.pop(endpoint.key, None)
            self._statuses.pop(endpoint.key, None)
            if runner is None:
                continue
            if runner.task is not None:
                runner.task.cancel()
            if self._loop is not None and self._loop.is_running():
                self._loop.create_task(self._close_later(runner))
        if self._activated:
            self._publisher.flush()

    @staticmethod
    async def _close_later(runner: EndpointRunner) -> None:
        if runner.task is not None:
            await asyncio.gather(runner.task, return_exceptions=True)
        await runner.close()

    # -- internals ---------------------------------------------------------------------

    def _check_fork(self) -> None:
        if os.getpid() != self._pid:
            self._reset_runtime()
            self._pid = os.getpid()

    def _reset_runtime(self) -> None:
        """Forget loop-bound state: after a fork, or when moving to another loop."""
        self._runners = {}
        self._statuses = {}
        self._activated = False
        self._heartbeat_task = None
        self._executor = None
        self._runner = None
        self._state = "new" if self._state != "stopped" else "stopped"
        self._publisher = Publisher(self._publish)
        for prepared in self._prepared.values():
            if prepared.dependency.is_lazy:
                prepared.checker = None
                prepared.endpoints = ()

    def _after_fork_in_child(self) -> None:
        """Called in a forked child: drop the parent's loop state and start afresh."""
        self._state = "new"
        self._reset_runtime()
        self._pid = os.getpid()
        self._publish()

    def _activate(self) -> None:
        if self._activated:
            return
        for prepared in self._prepared.values():
            if prepared.checker is None:
                self._resolve(prepared)
        runners: dict[str, EndpointRunner] = {}
        for prepared in self._prepared.values():
            for runner in self._make_runners(prepared):
                runners[runner.endpoint.key] = runner
        self._runners = runners
        self._statuses = {key: runner.status for key, runner in runners.items()}
        self._activated = True

    def _make_runners(self, prepared: _Prepared) -> list[EndpointRunner]:
        assert prepared.checker is not None
        return [
            EndpointRunner(
                endpoint,
                prepared.checker,
                prepared.settings,
                _unknown_status(endpoint),
                self._get_executor,
            )
            for endpoint in prepared.endpoints
        ]

    def _get_executor(self) -> Executor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=self._sync_workers, thread_name_prefix="dephealth-sync"
            )
        return self._executor

    def _start_task(self, runner: EndpointRunner, first_due: float) -> None:
        assert self._loop is not None
        runner.stopping = False
        runner.task = self._loop.create_task(
            runner.run_forever(first_due, self._record),
            name=f"dephealth-check:{runner.endpoint.key}",
        )

    async def _heartbeat(self) -> None:
        while True:
            self._last_beat = time.monotonic()
            await asyncio.sleep(self._beat_period)

    def _record(self, runner: EndpointRunner, result: CheckResult) -> None:
        if runner.endpoint.key not in self._runners:
            return  # removed while its check was in flight
        previous = runner.status
        success = result.detail == "ok"
        changed = runner.state.record(success)
        now = datetime.now(UTC)
        status = status_of(result.detail)
        current = EndpointStatus(
            healthy=runner.state.healthy,
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
            consecutive_failures=runner.state.consecutive_failures,
            transitions=previous.transitions
            + (1 if changed and previous.healthy is not None else 0),
            pool=runner.pool_stats(),
            histogram=previous.histogram.observe(result.latency),
        )
        runner.status = current
        self._statuses[runner.endpoint.key] = current
        notable = changed or status != previous.status or result.detail != previous.detail
        self._last_beat = time.monotonic()
        self._request_publish(urgent=notable)
        if not success:
            self._log_failure(runner, result, changed)
        elif changed and previous.healthy is False:
            logger.info(
                "dephealth: dependency recovered dependency=%s host=%s port=%s",
                current.name,
                current.host,
                current.port,
            )
        if (changed or status != previous.status) and self._listeners:
            self._notify(StateChange(previous, current))

    def _log_failure(self, runner: EndpointRunner, result: CheckResult, changed: bool) -> None:
        endpoint = runner.endpoint
        if result.detail == "error" and not _is_check_error(result.error):
            logger.error(
                "dephealth: check raised an unexpected error dependency=%s host=%s port=%s "
                "error=%s",
                endpoint.dependency,
                endpoint.host,
                endpoint.port,
                describe_error(result.error),
            )
        else:
            logger.warning(
                "dephealth: check failed dependency=%s host=%s port=%s detail=%s error=%s",
                endpoint.dependency,
                endpoint.host,
                endpoint.port,
                result.detail,
                describe_error(result.error),
            )
        if changed and runner.state.healthy is False:
            logger.error(
                "dephealth: dependency unhealthy dependency=%s host=%s port=%s "
                "consecutive_failures=%d",
                endpoint.dependency,
                endpoint.host,
                endpoint.port,
                runner.state.consecutive_failures,
            )

    def _notify(self, change: StateChange) -> None:
        for listener in list(self._listeners):
            try:
                outcome = listener(change)
                if inspect.isawaitable(outcome) and self._loop is not None:
                    task = self._loop.create_task(_guard(outcome))
                    _background_tasks.add(task)
                    task.add_done_callback(_background_tasks.discard)
            except Exception as exc:
                logger.error("dephealth: on_change listener failed error=%s", describe_error(exc))

    def _request_publish(self, *, urgent: bool) -> None:
        loop = self._loop
        if loop is None or not loop.is_running():
            self._publisher.flush()
            return
        self._publisher.request(loop, urgent=urgent)

    def _publish(self) -> None:
        self._version += 1
        self._snapshot = Snapshot(
            version=self._version,
            name=self.name,
            group=self.group,
            endpoints=MappingProxyType(dict(self._statuses)),
            running=self._state == "running",
            stopping=self._state == "stopping",
        )

    def __repr__(self) -> str:
        return (
            f"DependencyHealth(name={self.name!r}, group={self.group!r}, "
            f"dependencies={list(self._prepared)!r}, state={self._state!r})"
        )


_background_tasks: set[asyncio.Task[Any]] = set()


async def _guard(awaitable: Any) -> None:
    try:
        await awaitable
    except Exception as exc:
        logger.error("dephealth: on_change listener failed error=%s", describe_error(exc))


def _require_dependency(dependency: object) -> None:
    if not isinstance(dependency, Dependency):
        raise ConfigError(
            "expected a dependency from a factory such as tcp_check(), got "
            f"{type(dependency).__name__}"
        )


def _is_check_error(error: BaseException | None) -> bool:
    from ._exceptions import CheckError

    return isinstance(error, CheckError)


def _unknown_status(endpoint: Endpoint) -> EndpointStatus:
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


def iter_endpoints(snapshot: Snapshot) -> Iterable[EndpointStatus]:
    """The endpoints of a snapshot in declaration order."""
    return snapshot.endpoints.values()
