"""``install()``: the short form for an app that builds its pools in its own lifespan."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from starlette.applications import Starlette

from dephealth_core import DependencyHealth

from ._lifespan import STATE_KEY
from ._middleware import DepHealthMiddleware

if TYPE_CHECKING:
    from prometheus_client.registry import CollectorRegistry

    from dephealth_core._views import ShowDetails


def install(
    app: Starlette,
    dephealth: DependencyHealth,
    *,
    prefix: str = "",
    paths: Mapping[str, str | None] | None = None,
    show_details: ShowDetails = "never",
    details_token: str | None = None,
    metrics: bool = False,
    registry: CollectorRegistry | None = None,
) -> DependencyHealth:
    """Add :class:`DepHealthMiddleware` to ``app`` and publish ``dephealth`` at ``app.state``.

    Call it before the app starts. Pools the app creates in its lifespan can be given as
    ``pool=lambda: app.state.pool``: they are resolved after the app's startup.

    Returns:
        ``dephealth``, for chaining.
    """
    app.add_middleware(
        DepHealthMiddleware,
        dephealth=dephealth,
        prefix=prefix,
        paths=paths,
        show_details=show_details,
        details_token=details_token,
        metrics=metrics,
        registry=registry,
    )
    setattr(app.state, STATE_KEY, dephealth)
    return dephealth
