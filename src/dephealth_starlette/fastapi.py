"""FastAPI extras: ``dependencies_router``, the dephealth-compatible ``/health/dependencies``.

Importing this module imports FastAPI; ``dephealth_starlette`` itself does not.
"""

from __future__ import annotations

import weakref

from fastapi import APIRouter, Request, Response

from dephealth_core import DependencyHealth, HealthViews, render_unknown_dependencies

from ._lifespan import STATE_KEY
from ._routes import OWN_VIEW_MARK

__all__ = ["dependencies_router"]

_views: weakref.WeakKeyDictionary[DependencyHealth, HealthViews] = weakref.WeakKeyDictionary()

dependencies_router = APIRouter()


@dependencies_router.api_route(
    "/health/dependencies", methods=["GET", "HEAD"], include_in_schema=False
)
async def health_dependencies(request: Request) -> Response:
    """The dephealth ``{"status", "dependencies"}`` answer for ``app.state.dephealth``."""
    engine = getattr(request.app.state, STATE_KEY, None)
    if isinstance(engine, DependencyHealth):
        views = _views.get(engine)
        if views is None:
            views = _views[engine] = HealthViews(engine)
        answer = views.handle("dependencies", method=request.method)
    else:
        answer = render_unknown_dependencies()
    return Response(answer.body, status_code=answer.status, headers=dict(answer.headers))


# Our own route: it never counts as the app's when the middleware looks for conflicts.
setattr(health_dependencies, OWN_VIEW_MARK, True)
