"""The blueprint that serves the core's health views: Flask request in, core ``Response`` out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, request
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule

from dephealth_core import HealthViews, views_the_app_answers
from dephealth_core import Response as CoreResponse

#: Every method reaches the core, so that a 405 carries ``Cache-Control: no-store`` like every
#: other answer; OPTIONS stays Flask's.
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


class HealthBlueprint(Blueprint):
    """Our views' blueprint; :meth:`leave_to_app` hands paths the app answers back to it."""

    def __init__(self, name: str) -> None:
        super().__init__(name, __name__)
        self.yielded: dict[str, tuple[str, dict[str, Any]] | None] = {}
        self._paths: dict[str, str] = {}
        self._checked = False

    def leave_to_app(self, app: Flask) -> None:
        """Once: find the views whose path one of the app's own rules also matches."""
        if not self._checked:
            self._checked = True
            self.yielded.update(_app_routes_for(app, self.name, self._paths))


def make_blueprint(views: HealthViews, name: str = "dephealth") -> HealthBlueprint:
    """A blueprint with one route per enabled view (``views.paths``).

    The app's own routes win: at the app's first request (or the first request of one of our
    views), a view whose path one of the app's rules also matches hands its requests to that
    rule's view, with one WARNING.
    """
    blueprint = HealthBlueprint(name)
    blueprint._paths = dict(views.paths)
    for view, path in views.paths.items():
        blueprint.add_url_rule(
            path, endpoint=view, view_func=_view(views, view, blueprint), methods=METHODS
        )
    return blueprint


def _app_routes_for(
    app: Flask, name: str, paths: dict[str, str]
) -> dict[str, tuple[str, dict[str, Any]] | None]:
    """view -> the app's (endpoint, arguments) answering its path (None: another method only)."""
    theirs = Map(
        [
            Rule(rule.rule, endpoint=rule.endpoint, methods=rule.methods)
            for rule in app.url_map.iter_rules()
            if rule.endpoint.split(".", 1)[0] != name
        ],
        converters=app.url_map.converters,
    ).bind("localhost")
    found: dict[str, tuple[str, dict[str, Any]] | None] = {}

    def answers(path: str) -> bool:
        view = next(v for v, p in paths.items() if p == path)
        try:
            endpoint, arguments = theirs.match(path, method="GET")
            found[view] = (str(endpoint), dict(arguments))
        except MethodNotAllowed:
            found[view] = None
        except NotFound:
            return False
        return True

    shadowed = views_the_app_answers(paths, answers)
    return {view: found[view] for view in shadowed}


def _view(views: HealthViews, view: str, blueprint: HealthBlueprint) -> Callable[[], Any]:
    handle = views.handle
    yielded = blueprint.yielded

    def serve() -> Any:
        blueprint.leave_to_app(current_app)
        if view in yielded:
            theirs = yielded[view]
            if theirs is None:
                abort(405)
            endpoint, arguments = theirs
            return current_app.view_functions[endpoint](**arguments)
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
