"""``install()``: the short form for an app that builds its pools in its own lifespan."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette

from dephealth_core import DependencyHealth, ViewOptions

from ._lifespan import STATE_KEY
from ._middleware import DepHealthMiddleware


def install(app: Starlette, dephealth: DependencyHealth, **view_options: Any) -> DependencyHealth:
    """Add :class:`DepHealthMiddleware` to ``app`` and publish ``dephealth`` at ``app.state``.

    Call it before the app starts. Pools the app creates in its lifespan can be given as
    ``pool=lambda: app.state.pool``: they are resolved after the app's startup.

    Args:
        app: the Starlette or FastAPI app.
        dephealth: the instance to run and serve.
        **view_options: those of :class:`~dephealth_core.ViewOptions` (``prefix``,
            ``paths``, ``show_details``, ``details_token``, ``metrics``, ``registry``).

    Returns:
        ``dephealth``, for chaining.

    Raises:
        ConfigError: for invalid view options, before the middleware is added.
    """
    ViewOptions(**view_options)  # fail here rather than when Starlette builds its stack
    app.add_middleware(DepHealthMiddleware, dephealth=dephealth, **view_options)  # type: ignore[arg-type]
    setattr(app.state, STATE_KEY, dephealth)
    return dephealth
