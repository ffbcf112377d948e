"""The process's engine and views, built from settings when first used.

Nothing here runs at import or in ``AppConfig.ready()``: the engine is built on first use
(a request, a system check, the management command) and its checks start only on the first
request a process serves (``request_started``), so ``migrate``, ``shell`` and other
management commands never start them, and the autoreloader's parent process of
``runserver`` (which serves nothing) neither. A forked worker starts its own on its first
request. Changing ``DEPHEALTH``, ``DATABASES`` or ``CACHES`` (``override_settings``) drops
the instance and the next use builds a new one.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from dephealth_core import (
    Checker,
    CheckSettings,
    ConfigError,
    DependencyHealth,
    HealthViews,
    ProcessChecks,
    register_after_fork,
)

from ._checkers import DatabaseChecker
from ._discovery import DjangoAlias, Unchecked, discover
from ._settings import DjangoOptions, read_options

logger = logging.getLogger("dephealth")

WATCHED_SETTINGS = frozenset({"DEPHEALTH", "DATABASES", "CACHES"})
#: The share of a check's timeout spent waiting for a connection of Django's pool.
POOL_TIMEOUT_SHARE = 0.8


class Runtime(ProcessChecks):
    """One configured engine, its views, and the Django aliases it checks."""

    def __init__(
        self,
        engine: DependencyHealth,
        views: HealthViews,
        *,
        options: DjangoOptions,
        sources: Sequence[DjangoAlias] = (),
    ) -> None:
        super().__init__(engine, views)
        self.options = options
        self.sources = list(sources)

    @property
    def checkers(self) -> list[Checker]:
        """The checkers built for discovered aliases so far."""
        return [checker for source in self.sources for checker in source.checkers]

    def close_checkers(self) -> None:
        """Close the discovered aliases' checker connections (engine not running)."""
        for checker in self.checkers:
            close = getattr(checker, "close", None)
            if close is not None:
                try:
                    close()
                except Exception as exc:
                    logger.warning("dephealth: closing a check failed: %s", type(exc).__name__)

    def shutdown(self) -> None:
        """Stop the checks (if running here), close connections and free the registry."""
        if self.engine.running:
            self.engine.stop_background()
        else:
            self.close_checkers()
        if self.engine.collector is not None:
            self.engine.collector.unregister()


def build_runtime(
    options: DjangoOptions | None = None,
    *,
    metrics: bool = True,
    unchecked: list[Unchecked] | None = None,
) -> Runtime:
    """Build the engine and views from settings; connects to nothing.

    ``unchecked`` collects the discovered aliases that cannot be checked, and why.

    Raises:
        ConfigError: for bad settings, naming the field (and dependency).
    """
    from django.conf import settings

    options = read_options() if options is None else options
    declared = options.engine.get("dependencies")
    explicit = set(declared) if isinstance(declared, Mapping) else set()
    discovered = [
        dependency
        for dependency in discover(
            getattr(settings, "DATABASES", {}),
            getattr(settings, "CACHES", {}),
            discover_databases=options.discover_databases,
            discover_caches=options.discover_caches,
            database_options=options.databases,
            cache_options=options.caches,
            unchecked=unchecked,
        )
        if dependency.name not in explicit
    ]
    for alias in options.databases:
        if options.databases[alias] is not False and alias not in settings.DATABASES:
            raise ConfigError(f"no database alias {alias!r}", field="databases")
    for alias in options.caches:
        if options.caches[alias] is not False and alias not in settings.CACHES:
            raise ConfigError(f"no cache alias {alias!r}", field="caches")
    engine = DependencyHealth.from_config(
        options.engine, *discovered, registry=options.registry, metrics=metrics
    )
    sources = [d.source for d in discovered if isinstance(d.source, DjangoAlias)]
    runtime = Runtime.build(engine, options, options=options, sources=sources)
    for dependency in engine.dependencies:
        # A borrow from Django's pool must give up before the check's own timeout, so that
        # a pool held full reads pool_exhausted rather than timeout.
        timeout = CheckSettings.build(
            interval=dependency.interval,
            timeout=dependency.timeout,
            defaults=engine.defaults,
            dependency=dependency.name,
        ).timeout
        for checker in getattr(dependency.source, "checkers", ()):
            if isinstance(checker, DatabaseChecker):
                checker.pool_timeout = timeout * POOL_TIMEOUT_SHARE
    return runtime


_lock = threading.Lock()
_runtime: Runtime | None = None
#: The process whose settings could not be built: it does not try again on every request.
_failed_pid: int | None = None
#: A build that failed is not retried on every request, only after the settings change.
_build_error: ConfigError | None = None


def get_runtime() -> Runtime:
    """The process's runtime, built on first use.

    Raises:
        ConfigError: when the settings are bad (the same error until they change).
    """
    global _runtime, _build_error
    runtime = _runtime
    if runtime is not None:
        return runtime
    with _lock:
        if _runtime is None:
            if _build_error is not None:
                raise _build_error
            try:
                _runtime = build_runtime()
            except ConfigError as exc:
                _build_error = exc
                raise
        return _runtime


def get_dependency_health() -> DependencyHealth:
    """The process's :class:`~dephealth_core.DependencyHealth`, built from ``DEPHEALTH``."""
    return get_runtime().engine


def ensure_started(**_: Any) -> None:
    """Start the checks in this process unless they run already (``request_started``)."""
    runtime = _runtime
    if runtime is not None and runtime.attempted:
        return
    global _failed_pid
    pid = os.getpid()
    if _failed_pid == pid:
        return
    try:
        runtime = get_runtime()
    except ConfigError as exc:
        _failed_pid = pid
        logger.error("dephealth: checks not started, bad DEPHEALTH settings: %s", exc)
        return
    runtime.start_safely(run_checks=runtime.options.autostart)


def reset(**_: Any) -> None:
    """Stop and forget the runtime; the next use builds one from the current settings."""
    global _runtime, _failed_pid, _build_error
    with _lock:
        runtime, _runtime = _runtime, None
        _failed_pid = None
        _build_error = None
    if runtime is not None:
        runtime.shutdown()


def on_setting_changed(*, setting: str, **_: Any) -> None:
    """``setting_changed`` receiver: rebuild after ``DEPHEALTH``/``DATABASES``/``CACHES``."""
    if setting in WATCHED_SETTINGS:
        reset()


def _after_fork_in_child() -> None:
    global _lock
    _lock = threading.Lock()


register_after_fork(_after_fork_in_child)
