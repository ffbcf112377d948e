"""Which paths a Starlette (or FastAPI) app answers itself, mounts included."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.routing import BaseRoute, Match, Mount

#: Set on a view function of ours (``dependencies_router``) so that it never counts as the app's.
OWN_VIEW_MARK = "__dephealth_view__"


def app_routes(app: Any) -> Sequence[BaseRoute] | None:
    """The routes of a Starlette app, a FastAPI app or a router; None for another ASGI app."""
    router = getattr(app, "router", app)
    routes = getattr(router, "routes", None)
    return routes if isinstance(routes, list) else None


def answers(routes: Sequence[BaseRoute], path: str) -> bool:
    """Whether one of ``routes`` answers ``path`` (any method: a route for POST counts too).

    A mount of a router or app with routes is searched with the rest of the path; a mount of
    any other ASGI app (static files, a WSGI app) answers everything under its prefix.
    """
    scope = {"type": "http", "path": path, "root_path": "", "method": "GET", "headers": []}
    for route in routes:
        if getattr(getattr(route, "endpoint", None), OWN_VIEW_MARK, False):
            continue
        match, _ = route.matches(scope)
        if match is Match.NONE:
            continue
        if isinstance(route, Mount):
            inner = app_routes(route.app)
            if inner is None:
                return True
            rest = path[len(route.path) :] or "/"
            if answers(inner, rest if rest.startswith("/") else "/" + rest):
                return True
            continue
        return True
    return False
