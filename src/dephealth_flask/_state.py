"""``DepHealthState``: one app's engine, views and start state, in ``app.extensions``."""

from __future__ import annotations

import logging
import threading
from typing import Literal

from dephealth_core import ConfigError, DependencyHealth, HealthViews

logger = logging.getLogger("dephealth")

StartMode = Literal["first_request", "init_app", "manual"]


class DepHealthState:
    """What ``init_app`` leaves in ``app.extensions["dephealth"]``: one app's engine and views.

    Attributes:
        engine: the app's :class:`~dephealth_core.DependencyHealth`.
        views: the :class:`~dephealth_core.HealthViews` the blueprint serves.
        start_mode: ``"first_request"``, ``"init_app"`` or ``"manual"``.
        started: True once this process has started the checks.
    """

    def __init__(self, engine: DependencyHealth, views: HealthViews, start_mode: StartMode):
        self.engine = engine
        self.views = views
        self.start_mode = start_mode
        self.started = False
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the checks in this process's background thread; idempotent."""
        with self._lock:
            if self.started:
                return
            if not self.engine.running:
                self.engine.start_background()
            self.started = True

    def stop(self) -> None:
        """Stop the checks (bounded); idempotent. ``/readyz`` answers 503 afterwards."""
        with self._lock:
            self.engine.stop_background()
            self.started = False

    def start_safely(self) -> None:
        """Start the checks (first request, after a fork); logs a failure instead of raising."""
        try:
            self.start()
        except Exception as exc:
            # A health library must not break the app: the views report the checks as not
            # running, and the next request does not try again.
            self.started = True
            logger.error(
                "dephealth: could not start the checks name=%s error=%s: %s",
                self.engine.name,
                type(exc).__name__,
                exc if isinstance(exc, ConfigError) else "",
            )

    def __repr__(self) -> str:
        return f"DepHealthState(engine={self.engine!r}, started={self.started!r})"
