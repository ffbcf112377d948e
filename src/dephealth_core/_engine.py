"""``DependencyHealth``: the facade over the engine's parts.

A check result travels: :class:`~._scheduler.Scheduler` (an ``EndpointRunner`` per endpoint)
-> :class:`~._recorder.Recorder` (the next status, listeners, logs) ->
:class:`~._publisher.SnapshotPublisher` (an immutable ``Snapshot``) -> readers. The endpoint
table holds what was declared, :class:`~._liveness.Liveness` the heartbeat; fork handling is
:mod:`._fork`'s. See ``docs/architecture.md``.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from . import _config
from ._background import BackgroundRunner, track_background, untrack_background
from ._dependency import Dependency
from ._driver import DEFAULT_MAX_IN_FLIGHT
from ._endpoint_calls import EndpointCalls, EndpointCallsMixin
from ._endpoint_table import EndpointTable, PreparedDependency
from ._endpoint_table import require_dependency as _require_dependency
from ._exceptions import ConfigError, StateError
from ._fork import watch_for_fork
from ._liveness import Liveness
from ._metrics import DependencyMetrics
from ._publisher import SnapshotPublisher
from ._recorder import Listener, Recorder
from ._scheduler import STOP_GRACE, Scheduler, call_on_loop
from ._settings import CheckSettings
from ._shared_state import identity, runtime_directory
from ._snapshot import EndpointStatus, Snapshot
from ._validation import Duration, check_bool, check_name
from ._worker_coordinator import MetricsSource, WorkerCoordinator, sharing_wanted
from ._worker_share import WorkerShare

if TYPE_CHECKING:
    from prometheus_client.registry import CollectorRegistry

logger = logging.getLogger("dephealth")


class DependencyHealth(EndpointCallsMixin):
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
        max_in_flight: how many checks may run at once; checks due beyond it wait (and show
            as lateness), their timeouts counting from when they start.
        log: the logger of check failures and recoveries (default: ``dephealth``).
        share_workers: share standalone checks with the other worker processes of this app
            on this host (see ``docs/deployment.md``); ``None`` (default) reads
            ``DEPHEALTH_SHARE_WORKERS``, else shares only under a gunicorn, uvicorn or uwsgi
            master.

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
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        log: logging.Logger | None = None,
        share_workers: bool | None = None,
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
                "share_workers": share_workers,
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
        if (
            not isinstance(max_in_flight, int)
            or isinstance(max_in_flight, bool)
            or max_in_flight < 1
        ):
            raise ConfigError("must be a positive integer", field="max_in_flight")
        self._sync_workers = sync_workers
        shared = settings.get("share_workers")
        self._share_workers = None if shared is None else check_bool(shared, field="share_workers")
        self._workers: WorkerCoordinator | None = None
        self._environ = env
        merged = merged_settings.dependencies
        self._table = EndpointTable(self.defaults)
        for dependency in merged:
            self._table.add(self._table.prepare(dependency))
        self._state = "new"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._activated = False
        self._runner: BackgroundRunner | None = None
        self._recorder = Recorder(self._after_record, log)
        self._endpoint_calls = EndpointCalls(self)
        self._scheduler = Scheduler(self._recorder, sync_workers, max_in_flight)
        self._publisher = SnapshotPublisher(
            self.name,
            self.group,
            self._published_statuses,
            lambda: self._state,
            self._scheduler.schedule_stats,
        )
        self._liveness = Liveness()
        source = MetricsSource(self, lambda: self._workers)
        self.collector = DependencyMetrics(source, registry) if metrics else None
        watch_for_fork(self)

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
        if config is not None and not isinstance(config, Mapping):
            raise ConfigError(f"configuration must be a mapping, got {type(config).__name__}")
        merged = _config.merge_settings(
            overrides, dependencies, environ=env, file={**file_config, **dict(config or {})}
        )
        kwargs = merged.keywords
        name = kwargs.pop("name", None)
        group = kwargs.pop("group", None)
        return cls(name, group, *merged.dependencies, environ=env, **kwargs)

    # -- public state ------------------------------------------------------------------

    @property
    def snapshot(self) -> Snapshot:
        """The latest published snapshot (immutable; safe from any thread)."""
        return self._publisher.snapshot

    @property
    def registry(self) -> CollectorRegistry | None:
        """The registry the metrics are registered in; ``None`` with ``metrics=False``."""
        return self.collector.registry if self.collector is not None else None

    @property
    def dependencies(self) -> tuple[Dependency, ...]:
        """The declared dependencies, in order."""
        return tuple(p.dependency for p in self._table)

    @property
    def _prepared(self) -> Mapping[str, PreparedDependency]:
        # Tests of the checkers look up the checker built for a dependency here.
        return {p.dependency.name: p for p in self._table}

    @property
    def running(self) -> bool:
        """True between ``start()`` and ``stop()``."""
        return self._state == "running"

    def health(self) -> dict[str, bool]:
        """Dependency name -> healthy, for dependencies with at least one result."""
        return self.snapshot.health()

    def health_details(self) -> dict[str, EndpointStatus]:
        """``"dependency:host:port"`` -> :class:`EndpointStatus`.

        Empty before the checks start (or ``check_now`` runs); from then on every endpoint is
        listed, those not checked yet with status ``unknown``.
        """
        return dict(self.snapshot.endpoints)

    def alive(self) -> tuple[bool, str]:
        """Whether the engine makes progress: ``(ok, reason)``; used by ``/livez``."""
        if self._state != "running":
            return True, self._state
        return self._liveness.verdict(
            self._table.shortest_interval(self.defaults.interval),
            list(self._scheduler.runners.values()),
            None if self._runner is None else self._runner.alive,
        )

    def on_change(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(StateChange)`` on every change of an endpoint's health or status.

        Listeners run on the engine's loop; a coroutine function is scheduled as a task.
        Exceptions are logged and never reach the engine. Returns a function that removes
        the listener.
        """
        return self._recorder.on_change(listener)

    # -- lifecycle on the running loop -------------------------------------------------

    async def start(self) -> None:
        """Start checking on the running event loop.

        Raises:
            StateError: when already started.
            ConfigError: when a lazy pool or client resolves to something unsupported.
        """
        if self._state not in ("new", "stopped"):
            raise StateError(f"DependencyHealth {self.name!r} is already started")
        loop = asyncio.get_running_loop()
        if self._loop is not None and self._loop is not loop and self._activated:
            self._reset_runtime()
        self._loop = loop
        self._workers = self._join_workers()
        self._activate()
        self._state = "running"
        self._scheduler.start_all(loop)
        if self._workers is not None:
            self._workers.start(loop, lambda: self._recorder.statuses)
        self._liveness.start(loop, self._table.shortest_interval(15.0))
        self._publisher.flush()
        logger.info(
            "dephealth: started name=%s group=%s endpoints=%d",
            self.name,
            self.group,
            len(self._scheduler.runners),
        )

    async def stop(self, timeout: float = STOP_GRACE) -> None:
        """Stop checking; idempotent. Waits up to ``timeout`` seconds for checks in flight.

        Metrics and state keep their last values.
        """
        if self._state != "running":
            return
        self._state = "stopping"
        self._publisher.flush()
        heartbeat = self._liveness.stop()
        also_cancel = [heartbeat] if heartbeat else []
        if self._workers is not None:
            sync = self._workers.stop()
            also_cancel.extend([sync] if sync else [])
        await self._scheduler.stop(timeout, also_cancel=also_cancel)
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
        await self._scheduler.check_all()
        self._publisher.flush()
        return self.health_details()

    # -- background mode (sync apps) ---------------------------------------------------

    def start_background(self, timeout: float = 30.0) -> None:
        """Start checking in the process's background thread (for WSGI and sync apps)."""
        runner = BackgroundRunner.get()
        self._runner = runner
        runner.run(self.start(), timeout=timeout)
        track_background(self)

    def stop_background(self, timeout: float = STOP_GRACE + 1.0) -> None:
        """Stop checks started with :meth:`start_background`; idempotent and bounded."""
        untrack_background(self)
        runner = self._runner
        if runner is None or self._state != "running":
            return
        if not runner.alive:
            self._state = "stopped"
            return
        runner.run(self.stop(timeout=timeout - 1.0), timeout=timeout)

    def start_sync(self) -> None:
        """dephealth's name for :meth:`start_background`."""
        self.start_background()

    def stop_sync(self) -> None:
        """dephealth's name for :meth:`stop_background`."""
        self.stop_background()

    def check_now_background(self, timeout: float = 60.0) -> dict[str, EndpointStatus]:
        """:meth:`check_now` from a thread with no running loop (Django, Flask, scripts)."""
        runner = self._runner if self._runner is not None else BackgroundRunner.get()
        self._runner = runner
        result: dict[str, EndpointStatus] = runner.run(self.check_now(), timeout=timeout)
        return result

    def reset_after_fork(self) -> None:
        """In a forked child: forget the parent's loop, tasks and threads (see ``_fork``)."""
        self._reset_runtime()
        self._publisher.flush()

    # -- dynamic endpoints -------------------------------------------------------------

    def add_dependency(self, dependency: Dependency) -> None:
        """Add a dependency; on a running engine its checks start at once."""
        prepared = self._prepare_added(dependency)
        if prepared.dependency.name in self._table:
            raise ConfigError(
                "duplicate dependency name", dependency=prepared.dependency.name, field="name"
            )
        self._call_on_loop(lambda: self._apply_add(prepared))

    def remove_dependency(self, name: str) -> None:
        """Remove a dependency, its endpoints and all their metric series."""
        if name not in self._table:
            raise KeyError(name)
        self._call_on_loop(lambda: self._apply_remove(name))

    def replace_dependency(self, dependency: Dependency) -> None:
        """Replace the dependency of the same name (new address, options or settings)."""
        prepared = self._prepare_added(dependency)
        name = prepared.dependency.name
        if name not in self._table:
            raise KeyError(name)

        def apply() -> None:
            self._apply_remove(name)
            self._apply_add(prepared)

        self._call_on_loop(apply)

    def _prepare_added(self, dependency: Dependency) -> PreparedDependency:
        _require_dependency(dependency)
        merged = _config.merge_environment([dependency], self._environ)[0]
        return self._table.prepare(merged)

    def _call_on_loop(self, action: Callable[[], None]) -> None:
        call_on_loop(self._loop if self._activated else None, action)

    def _apply_add(self, prepared: PreparedDependency) -> None:
        self._table.add(prepared)
        if not self._activated:
            return
        if prepared.checker is None:
            self._table.resolve(prepared)
        self._scheduler.add(prepared, self._loop if self._state == "running" else None)
        self._publisher.flush()

    def _apply_remove(self, name: str) -> None:
        self._scheduler.remove(self._table.remove(name))
        if self._activated:
            self._publisher.flush()

    # -- internals ---------------------------------------------------------------------

    def _activate(self) -> None:
        if self._activated:
            return
        self._table.resolve_all()
        for prepared in self._table:
            if self._workers is None or self._workers.runs_here(prepared):
                self._scheduler.add(prepared, None)
        self._activated = True

    def _reset_runtime(self) -> None:
        """Forget loop-bound state: after a fork, or when moving to another loop."""
        if self._workers is not None:
            self._workers.detach()
            self._workers = None
        self._scheduler.reset()
        self._liveness.reset()
        self._publisher.reset()
        self._activated = False
        self._runner = None
        self._state = "new" if self._state != "stopped" else "stopped"
        self._table.forget_lazy()

    def _join_workers(self) -> WorkerCoordinator | None:
        """Share standalone checks with this app's other workers on this host, when wanted."""
        if not sharing_wanted(self._share_workers, self._environ):
            return None
        standalone = [p for p in self._table if p.dependency.source is None]
        if not standalone:
            return None
        keys = [e.key for p in standalone for e in p.endpoints]
        try:
            share = WorkerShare(
                runtime_directory(identity(self.name, self.group, keys, os.getppid()))
            )
        except OSError as exc:
            logger.warning(
                "dephealth: worker sharing off, runtime directory unusable error=%s",
                type(exc).__name__,
            )
            return None
        loop = self._loop
        return WorkerCoordinator(
            share,
            list(self._table),
            lambda prepared: self._scheduler.add(prepared, loop),
            self._recorder.restore,
            lambda: self._publisher.request(urgent=True),
            tick=max(0.05, min(1.0, self._table.shortest_interval(15.0) / 4)),
        )

    def _published_statuses(self) -> Mapping[str, EndpointStatus]:
        if self._workers is None:
            return self._recorder.statuses
        return self._workers.statuses(self._recorder.statuses)

    def _after_record(self, urgent: bool) -> None:
        self._liveness.beat()
        self._publisher.request(urgent=urgent)

    def __repr__(self) -> str:
        return (
            f"DependencyHealth(name={self.name!r}, group={self.group!r}, "
            f"dependencies={self._table.names!r}, state={self._state!r})"
        )
