"""``DepHealth``: the Flask extension, one engine per app, state in ``app.extensions``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Unpack, get_args

from flask import Flask, current_app
from prometheus_client.registry import CollectorRegistry

from dephealth_core import ConfigError, Dependency, DependencyHealth, ViewOptions
from dephealth_core.typing import EngineSettings, ShowDetails

from ._blueprint import make_blueprint
from ._config import build_engine, extension_options
from ._sources import bind_to_app
from ._starter import StartOnFirstRequest
from ._state import DepHealthState, StartMode

EXTENSION_KEY = "dephealth"


class DepHealthOptions(EngineSettings, total=False):
    """The keywords of :class:`DepHealth`: the engine's settings and the view options."""

    prefix: str | None
    paths: Mapping[str, str | None] | None
    show_details: ShowDetails | None
    details_token: str | None
    metrics: bool | str | None


class DepHealth:
    """Background dependency checks, health endpoints and metrics for Flask apps.

    Use it directly (``DepHealth(app, ...)``) or with an app factory (``dephealth =
    DepHealth(...)`` at import time, ``dephealth.init_app(app)`` in the factory). Each app gets
    its own :class:`~dephealth_core.DependencyHealth`, kept in ``app.extensions["dephealth"]``.

    Every keyword left to ``None`` is read from ``app.config`` (``DEPHEALTH_NAME``,
    ``DEPHEALTH_<DEP>_URL``..., ``DEPHEALTH_PREFIX``, ``DEPHEALTH_SHOW_DETAILS``...); code
    beats the environment, which beats ``app.config``.

    Args:
        app: the app, or ``None`` to call :meth:`init_app` later.
        *dependencies: what the factories (``postgres_check``...) return. A ``pool=`` or
            ``client=`` may be a zero-argument callable (``lambda: db.engine``), resolved in
            the app's context when checks start, or a Flask-SQLAlchemy ``db`` object.
        name: the service name (``DEPHEALTH_NAME``).
        group: the service group (``DEPHEALTH_GROUP``).
        check_interval: default interval of every dependency.
        timeout: default timeout of every dependency.
        initial_delay: default delay before the first check.
        failure_threshold: default failures in a row that make an endpoint unhealthy.
        success_threshold: default successes in a row that make it healthy again.
        registry: the prometheus registry of the metrics. Default: a new one per app, since
            two engines cannot share a registry.
        start: when checks start. ``"first_request"`` (default): at the first request the
            process serves; ``"init_app"``: at ``init_app`` too (in gunicorn's master with
            ``--preload``: in each worker right after its fork; in a process that the
            development server's reloader would replace: at the first request);
            ``"manual"``: only on :meth:`start`.
        **view_options: those of :class:`~dephealth_core.ViewOptions` but ``registry``
            (``prefix``, ``paths``, ``show_details``, ``details_token``, ``metrics``);
            ``DEPHEALTH_PREFIX``... in ``app.config`` otherwise. A ``show_details``
            callable receives the Flask request.
    """

    def __init__(
        self,
        app: Flask | None = None,
        *dependencies: Dependency,
        registry: CollectorRegistry | None = None,
        start: StartMode | None = None,
        **options: Unpack[DepHealthOptions],
    ) -> None:
        if app is not None and not isinstance(app, Flask):
            raise TypeError(
                f"DepHealth(app, *dependencies): app must be a Flask app or None, got "
                f"{type(app).__name__}"
            )
        self.dependencies = dependencies
        self._engine_options: dict[str, Any] = {
            key: value for key, value in options.items() if key in _ENGINE_SETTINGS
        }
        view_options = {k: v for k, v in options.items() if k not in _ENGINE_SETTINGS}
        unknown = set(view_options) - set(ViewOptions.flat_keys().values())
        if unknown:
            raise TypeError(f"DepHealth() got unexpected keyword arguments {sorted(unknown)}")
        self._view_options: dict[str, Any] = {**view_options, "start": start}
        self._registry = registry
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Build the app's engine and views, register the blueprint and the start hook.

        Raises:
            ConfigError: for invalid settings, naming the dependency and the field.
            RuntimeError: when the app already has a dephealth extension.
        """
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError(f"app {app.name!r} already has a dephealth extension")
        options = {**extension_options(app.config)}
        options.update({k: v for k, v in self._view_options.items() if v is not None})
        start = options.pop("start", "first_request")
        if start not in get_args(StartMode):
            raise ConfigError("expected 'first_request', 'init_app' or 'manual'", field="start")
        registry = self._registry if self._registry is not None else CollectorRegistry()
        engine = build_engine(
            app.config,
            [bind_to_app(dependency, app) for dependency in self.dependencies],
            registry=registry,
            **{k: v for k, v in self._engine_options.items() if v is not None},
        )
        state = DepHealthState.build(engine, options, start_mode=start)
        app.extensions[EXTENSION_KEY] = state
        blueprint = make_blueprint(state.views)
        app.register_blueprint(blueprint)
        if start != "manual":
            StartOnFirstRequest(app, state, blueprint.leave_to_app).install()
        if start == "init_app" and not _reloader_may_replace(app):
            state.start_at_load()

    # -- per-app access ---------------------------------------------------------------

    def state(self, app: Flask | None = None) -> DepHealthState:
        """The state of ``app`` (default: the current app).

        Raises:
            RuntimeError: when ``init_app`` was not called for that app.
        """
        target = app if app is not None else current_app
        try:
            state: DepHealthState = target.extensions[EXTENSION_KEY]
        except KeyError:
            raise RuntimeError(
                "this app has no dephealth extension: call DepHealth.init_app(app) first"
            ) from None
        return state

    def get_engine(self, app: Flask | None = None) -> DependencyHealth:
        """The :class:`~dephealth_core.DependencyHealth` of ``app`` (default: the current app)."""
        return self.state(app).engine

    @property
    def engine(self) -> DependencyHealth:
        """The current app's engine (needs an app context)."""
        return self.state().engine

    def start(self, app: Flask | None = None) -> None:
        """Start the checks of ``app`` in this process now (idempotent).

        For ``start="manual"``, or to start in gunicorn's ``post_fork`` hook.
        """
        self.state(app).start()

    def stop(self, app: Flask | None = None) -> None:
        """Stop the checks of ``app`` (bounded, idempotent); they also stop at exit."""
        self.state(app).stop()

    def health(self, app: Flask | None = None) -> dict[str, bool]:
        """Dependency name -> healthy, for the dependencies with a result."""
        return self.state(app).engine.health()

    def __repr__(self) -> str:
        names = [dependency.name for dependency in self.dependencies]
        return f"DepHealth(dependencies={names!r})"


_ENGINE_SETTINGS = frozenset(EngineSettings.__annotations__)


def _reloader_may_replace(app: Flask) -> bool:
    """True in a process that the development server's reloader watches but never serves from.

    ``flask run`` (every ``flask`` command sets ``FLASK_RUN_FROM_CLI``) and debug mode load
    the app in a watcher process too; only the child with ``WERKZEUG_RUN_MAIN=true`` serves.
    Checks there start at the first request instead.
    """
    if os.environ.get("WERKZEUG_RUN_MAIN") == "true":
        return False
    return app.debug or os.environ.get("FLASK_RUN_FROM_CLI") == "true"
