"""``ProcessChecks``: an engine and its views for a sync app, started once per process.

What the Flask and Django adapters share: build the views over a configured engine (and free
the engine's registry when the view options are refused), start the checks in the process's
background runner once per process (a forked worker starts its own), and never let a failed
start break the app. Fork handling itself stays with the background runner, which restarts
the engines it ran in a forked child.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Mapping
from typing import Any, Self

from ._engine import DependencyHealth
from ._exceptions import ConfigError, StateError
from ._fork import in_prefork_master, register_after_fork
from ._view_options import ViewOptions
from ._views import HealthViews

logger = logging.getLogger("dephealth")


class ProcessChecks:
    """One app's engine and views; the checks start at most once per process.

    Attributes:
        engine: the app's :class:`~dephealth_core.DependencyHealth`.
        views: the :class:`~dephealth_core.HealthViews` the adapter serves.
    """

    def __init__(self, engine: DependencyHealth, views: HealthViews) -> None:
        self.engine = engine
        self.views = views
        self._started_pid: int | None = None
        self._failed_pid: int | None = None
        self._lock = threading.Lock()

    @classmethod
    def build(
        cls, engine: DependencyHealth, options: ViewOptions | Mapping[str, Any], /, **extra: Any
    ) -> Self:
        """The engine with its views; unregisters the engine's metrics if the views fail.

        Args:
            engine: the configured engine.
            options: the view options, or their fields by name.
            **extra: further arguments of a subclass's constructor.

        Raises:
            ConfigError: for invalid view options (the engine's registry is free again).
        """
        try:
            if not isinstance(options, ViewOptions):
                options = ViewOptions(**options)
            views = HealthViews(engine, options)
        except ConfigError:
            if engine.collector is not None:
                engine.collector.unregister()
            raise
        return cls(engine, views, **extra)

    @property
    def started(self) -> bool:
        """True once this process has started the checks."""
        return self._started_pid == os.getpid()

    @property
    def attempted(self) -> bool:
        """True once this process has started the checks or failed to."""
        pid = os.getpid()
        return self._started_pid == pid or self._failed_pid == pid

    def start(self, *, run_checks: bool = True) -> None:
        """Start the checks in this process's background thread; idempotent per process.

        Args:
            run_checks: ``False`` marks the process as started without running the checks
                (an app that starts them itself, such as Django's ``autostart: False``).
        """
        with self._lock:
            if self.started:
                return
            if run_checks and not self.engine.running:
                try:
                    self.engine.start_background()
                except StateError:
                    if not self.engine.running:
                        raise
                    # The background runner restarted it in this forked child already.
            self._started_pid = os.getpid()

    def start_safely(self, *, run_checks: bool = True) -> bool:
        """:meth:`start`, logging a failure instead of raising; not retried in this process.

        Returns:
            True when the checks run (or were marked started).
        """
        if self.attempted:
            return self.started
        try:
            self.start(run_checks=run_checks)
        except Exception as exc:
            # A health library must not break the app: the views report the checks as not
            # running, and the next request does not try again.
            self._failed_pid = os.getpid()
            logger.error(
                "dephealth: could not start the checks name=%s error=%s: %s",
                self.engine.name,
                type(exc).__name__,
                exc if isinstance(exc, ConfigError) else "",
            )
            return False
        return True

    def start_at_load(self) -> None:
        """Start the checks as the app loads: now, or in each worker forked from a master.

        Checks running in a pre-fork master (gunicorn ``--preload``, uwsgi without
        lazy-apps) would be forked mid-flight: a thread holding a lock at the fork (an
        import's module lock, seen in a test) leaves that lock held forever in the worker.
        There the checks start in each worker right after its fork instead.
        """
        if in_prefork_master():
            self.start_in_forked_children()
        else:
            self.start()

    def start_in_forked_children(self) -> None:
        """Start the checks in each child forked from this process, right after the fork.

        For a prefork server's master (gunicorn ``--preload``, uwsgi without lazy-apps):
        checks running in the master would be forked mid-flight, so the master never starts
        them and each worker does.
        """
        reference = weakref.ref(self)

        def start_in_child() -> None:
            found = reference()
            if found is not None:
                found.start_safely()

        register_after_fork(start_in_child)

    def stop(self) -> None:
        """Stop the checks (bounded); idempotent. ``/readyz`` answers 503 afterwards."""
        with self._lock:
            self.engine.stop_background()
            self._started_pid = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(engine={self.engine!r}, started={self.started!r})"
