"""The blueprint that serves the core's health views: Flask request in, core ``Response`` out."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, request

from dephealth_core import HealthViews

#: Every method reaches the core, so that a 405 carries ``Cache-Control: no-store`` like every
#: other answer; OPTIONS stays Flask's.
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def make_blueprint(views: HealthViews, name: str = "dephealth") -> Blueprint:
    """A blueprint with one route per enabled view (``views.paths``)."""
    blueprint = Blueprint(name, __name__)
    for view, path in views.paths.items():
        blueprint.add_url_rule(path, endpoint=view, view_func=_view(views, view), methods=METHODS)
    return blueprint


def _view(views: HealthViews, view: str) -> Callable[[], Response]:
    handle = views.handle

    def serve() -> Response:
        current = request._get_current_object()  # type: ignore[attr-defined]
        answer = handle(
            view,
            method=current.method,
            query=current.query_string,
            headers=current.headers,
            request=current,
        )
        return Response(answer.body, status=answer.status, headers=list(answer.headers))

    serve.__name__ = serve.__qualname__ = f"dephealth_{view}"
    return serve
