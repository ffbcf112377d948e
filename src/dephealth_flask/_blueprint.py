"""The blueprint that serves the core's health views: Flask request in, core ``Response`` out."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, request

from dephealth_core import HealthViews
from dephealth_core import Response as CoreResponse

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
        return to_flask_response(answer)

    serve.__name__ = serve.__qualname__ = f"dephealth_{view}"
    return serve


def to_flask_response(answer: CoreResponse) -> Response:
    """The core's rendered answer as a Flask response."""
    content_type = None
    extra: list[tuple[str, str]] = []
    for name, value in answer.headers:
        if name == "content-type":
            content_type = value
        elif name != "content-length":  # werkzeug sets it from the body
            extra.append((name, value))
    # content_type= rather than a header list: werkzeug validates every header it is given.
    response = Response(answer.body, status=answer.status, content_type=content_type)
    if extra:
        response.headers.extend(extra)
    return response
