"""``DepHealthMiddleware``: serves the health views and runs the checks with the app's lifespan."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from dephealth_core import DependencyHealth, HealthViews, ViewOptions, views_the_app_answers

from ._lifespan import STATE_KEY, find_dephealth, run_lifespan
from ._routes import answers, app_routes

if TYPE_CHECKING:
    from prometheus_client.registry import CollectorRegistry


class DepHealthMiddleware:
    """Pure ASGI middleware: health endpoints plus start and stop of the checks.

    Requests for the health paths (``/health/dependencies``, ``/livez``, ``/readyz``,
    ``/health``, ``/health/details`` and ``/metrics``) are answered from the engine's latest
    snapshot; a request never runs a check. Every other request, websocket and streaming
    response passes through untouched. **The app's own routes win**: a path the app's router
    (mounts included) already answers is left to the app, with one WARNING naming it.

    The checks start after the app's own lifespan startup has completed, on the app's event
    loop, and stop at shutdown before the app's own shutdown runs (``/readyz`` fails first).

    ``DepHealthMiddleware(app, registry=None, metrics_path="/metrics")`` is dephealth's call.

    Args:
        app: the ASGI app to wrap.
        registry: the registry ``/metrics`` exposes (default: the engine's, which is
            prometheus_client's default registry unless the engine was given another).
        metrics_path: where ``/metrics`` is served.
        dephealth: the instance to serve; when omitted, it is found after the app's startup
            at ``app.state.dephealth`` or in the lifespan state under ``"dephealth"``.
        prefix: a common prefix for every health path (``"/ops"``).
        paths: view name -> path overrides; ``None`` disables a view.
        show_details: ``"never"``, ``"always"``, ``"token"`` or a callable that receives the
            Starlette ``Request`` and says whether details may be shown.
        details_token: the bearer token that unlocks details in ``"token"`` mode.
        metrics: serve ``/metrics`` (default ``True``, as dephealth's middleware did).

    The view options are those of :class:`~dephealth_core.ViewOptions`.

    Raises:
        ConfigError: for invalid paths or detail settings.
    """

    def __init__(
        self,
        app: ASGIApp,
        registry: CollectorRegistry | None = None,
        metrics_path: str = "/metrics",
        *,
        dephealth: DependencyHealth | None = None,
        metrics: bool = True,
        **view_options: Any,
    ) -> None:
        self.app = app
        self.dephealth = dephealth
        paths = dict(view_options.pop("paths", None) or {})
        if metrics_path != "/metrics" or "metrics" not in paths:
            paths["metrics"] = metrics_path
        # Validated here, at construction, even when the engine is only found after startup.
        self.options = ViewOptions(registry=registry, metrics=metrics, paths=paths, **view_options)
        self._views = HealthViews(dephealth, self.options) if dephealth is not None else None
        self._routes: dict[str, str] = {path: view for view, path in self.options.routes.items()}
        self._request_views = self.options.request_views
        self._header_views = self.options.header_views
        self._routes_checked = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            view = self._routes.get(_route_path(scope))
            if view is not None:
                views = self._views if self._views is not None else self._late_views(scope)
                if views is not None:
                    await self._serve(views, view, scope, receive, send)
                    return
        elif scope["type"] == "lifespan":
            await run_lifespan(self.app, scope, receive, send, self._engine_for)
            return
        await self.app(scope, receive, send)

    async def _serve(
        self, views: HealthViews, view: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        method: str = scope["method"]
        headers = None
        if view in self._header_views:
            headers = {
                name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]
            }
        request = Request(scope, receive) if view in self._request_views else None
        response = views.handle(
            view, method=method, query=scope["query_string"], headers=headers, request=request
        )
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                # A fresh list: outer middleware (CORS, GZip) may edit the headers in place.
                "headers": [(name.encode(), value.encode()) for name, value in response.headers],
            }
        )
        body = b"" if method == "HEAD" else response.body
        await send({"type": "http.response.body", "body": body})

    def _engine_for(self, scope: Scope) -> DependencyHealth | None:
        """The instance to run at startup; publishes it at ``app.state.dephealth``."""
        engine = self.dephealth if self.dephealth is not None else find_dephealth(scope, self.app)
        if engine is None:
            return None
        self._leave_to_app(scope)
        if self._views is None or self._views.source is not engine:
            self._views = HealthViews(engine, self.options)
        app_state = getattr(scope.get("app"), "state", None)
        if app_state is not None and getattr(app_state, STATE_KEY, None) is None:
            setattr(app_state, STATE_KEY, engine)
        return engine

    def _late_views(self, scope: Scope) -> HealthViews | None:
        """Views for an app whose lifespan did not run (``--lifespan off``, bare test clients)."""
        engine = find_dephealth(scope, self.app)
        if engine is None:
            return None
        self._leave_to_app(scope)
        views = HealthViews(engine, self.options)
        self._views = views
        return views

    def _leave_to_app(self, scope: Scope) -> None:
        """Stop serving the views whose path the app's own router answers (once)."""
        if self._routes_checked:
            return
        self._routes_checked = True
        routes = app_routes(scope.get("app"))
        if routes is None:
            routes = app_routes(self.app)
        if routes is None:
            return
        enabled = {view: path for path, view in self._routes.items()}
        shadowed = views_the_app_answers(enabled, lambda path: answers(routes, path))
        for path in shadowed.values():
            del self._routes[path]


def _route_path(scope: Scope) -> str:
    """The path the app routes on: without the ``root_path`` a proxy or mount added."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] == "/":
        return path[len(root) :]
    return path
