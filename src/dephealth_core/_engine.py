"""``DependencyHealth``: the facade over the engine's parts.

A check result travels: :class:`~._scheduler.Scheduler` (an ``EndpointRunner`` per endpoint)
-> :class:`~._recorder.Recorder` (the next status, listeners, logs) ->
:class:`~._publisher.SnapshotPublisher` (an immutable ``Snapshot``) -> readers. The endpoint
table holds what was declared, :class:`~._liveness.Liveness` the heartbeat; fork handling is
:mod:`._fork`'s. Background mode (:mod:`._background_mode`), changes to the dependencies
(:mod:`._dependency_changes`), dephealth's endpoint calls (:mod:`._endpoint_calls`) and worker
sharing (:mod:`._worker_sharing`) have modules of their own. See ``docs/architecture.md``.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from . import _config
from ._background import BackgroundRunner
from ._background_mode import BackgroundModeMixin
from ._dependency import Dependency
from ._dependency_changes import DependencyChangesMixin
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
from ._scheduler import STOP_GRACE, Scheduler
from ._settings import CheckSettings
from ._snapshot import EndpointStatus, Snapshot
from ._validation import Duration, check_bool, check_name, check_positive
from ._worker_sharing import WorkerSharing

if TYPE_CHECKING:
    from prometheus_client.registry import CollectorRegistry

logger = logging.getLogger("dephealth")


class DependencyHealth(BackgroundModeMixin, DependencyChangesMixin, EndpointCallsMixin):
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
        sync_workers = check_positive(sync_workers, field="sync_workers")
        max_in_flight = check_positive(max_in_flight, field="max_in_flight")
        shared = settings.get("share_workers")
        self._sharing = WorkerSharing(
            self.name,
            self.group,
            None if shared is None else check_bool(shared, field="share_workers"),
            env,
        )
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
            lambda: self._sharing.statuses(self._recorder.statuses),
            lambda: self._state,
            self._scheduler.schedule_stats,
        )
        self._liveness = Liveness()
        source = self._sharing.metrics_source(self)
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
    def worker_role(self) -> str:
        """How this process shares the standalone checks with the app's other workers.

        ``"leader"``: it runs them for every worker of the host; ``"follower"``: another
        worker does and this one reads the results; ``"alone"``: no sharing (turned off, not
        under a pre-fork master, nothing standalone, or not running).
        """
        return self._sharing.role

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
        self._sharing.join(self._table, self._scheduler, self._recorder, self._publisher, loop)
        self._activate()
        self._state = "running"
        self._scheduler.start_all(loop)
        self._sharing.start(loop, lambda: self._recorder.statuses)
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
        also_cancel.extend(self._sharing.stop())
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

    # -- after a fork ----------------------------------------------------------------

    def reset_after_fork(self) -> None:
        """In a forked child: forget the parent's loop, tasks and threads (see ``_fork``)."""
        self._reset_runtime()
        self._publisher.flush()

    # -- internals ---------------------------------------------------------------------

    def _activate(self) -> None:
        if self._activated:
            return
        self._table.resolve_all()
        for prepared in self._table:
            if self._sharing.runs_here(prepared):
                self._scheduler.add(prepared, None)
        self._activated = True

    def _reset_runtime(self) -> None:
        """Forget loop-bound state: after a fork, or when moving to another loop."""
        self._sharing.detach()
        self._scheduler.reset()
        self._liveness.reset()
        self._publisher.reset()
        self._activated = False
        self._runner = None
        self._state = "new" if self._state != "stopped" else "stopped"
        self._table.forget_lazy()

    def _after_record(self, urgent: bool) -> None:
        self._liveness.beat()
        self._publisher.request(urgent=urgent)

    def __repr__(self) -> str:
        return (
            f"DependencyHealth(name={self.name!r}, group={self.group!r}, "
            f"dependencies={self._table.names!r}, state={self._state!r})"
        )
