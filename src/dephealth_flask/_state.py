"""``DepHealthState``: one app's engine, views and start state, in ``app.extensions``."""

from __future__ import annotations

from typing import Literal

from dephealth_core import DependencyHealth, HealthViews, ProcessChecks

StartMode = Literal["first_request", "init_app", "manual"]


class DepHealthState(ProcessChecks):
    """What ``init_app`` leaves in ``app.extensions["dephealth"]``: one app's engine and views.

    Attributes:
        engine: the app's :class:`~dephealth_core.DependencyHealth`.
        views: the :class:`~dephealth_core.HealthViews` the blueprint serves.
        start_mode: ``"first_request"``, ``"init_app"`` or ``"manual"``.
        started: True once this process has started the checks.
    """

    def __init__(self, engine: DependencyHealth, views: HealthViews, start_mode: StartMode):
        super().__init__(engine, views)
        self.start_mode = start_mode
