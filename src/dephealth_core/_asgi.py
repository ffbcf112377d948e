"""A minimal raw ASGI application that serves one :class:`HealthViews`: what ``dephealth serve``
runs on uvicorn. The core imports no web framework, so this speaks ASGI directly.

Every answer but ``/metrics`` comes from :meth:`HealthViews.handle`, which renders once per
snapshot version. ``/metrics`` is cached here per snapshot version as well, because ``serve`` gives
the views a registry that holds the engine's families alone: its exposition then changes only when
the snapshot does, and can be written straight from the snapshot (:mod:`._exposition`) rather than
through prometheus_client's sample objects. It is rendered in a worker thread, so that a scrape of
ten thousand endpoints does not stall the checks on the event loop, and concurrent scrapes share
one render.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ._exposition import ExpositionRenderer
from ._views import HealthViews, Response
from .typing import SnapshotSource

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_NOT_FOUND = Response(
    404,
    (
        ("content-type", "text/plain; charset=utf-8"),
        ("cache-control", "no-store"),
        ("content-length", "10"),
    ),
    b"not found\n",
)


class HealthApp:
    """Serves ``views`` over ASGI; any other path is a 404.

    Args:
        source: the engine (any snapshot source) the views show.
        views: the views built on ``source``.
        cache_metrics: reuse the ``/metrics`` answer until the snapshot version changes, and
            write it from the snapshot. Only correct when the views' registry holds nothing
            but the engine's families; ``False`` renders the registry at every scrape.
    """

    def __init__(
        self, source: SnapshotSource, views: HealthViews, *, cache_metrics: bool = True
    ) -> None:
        self._current = (source, views)
        self.cache_metrics = cache_metrics
        self._exposition = ExpositionRenderer()
        #: How many times ``/metrics`` was rendered (tests and benchmarks read it).
        self.metrics_renders = 0
        self._metrics: tuple[HealthViews, int, asyncio.Future[Response]] | None = None

    @property
    def views(self) -> HealthViews:
        """The views being served."""
        return self._current[1]

    def swap(self, source: SnapshotSource, views: HealthViews) -> None:
        """Serve another engine from now on; requests in flight finish with the old one."""
        self._current = (source, views)
        self._exposition = ExpositionRenderer()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        source, views = self._current
        view = views.match(scope["path"])
        method = scope["method"]
        if view is None:
            response = _NOT_FOUND
        elif view == "metrics" and method in ("GET", "HEAD"):
            response = await self._render_metrics(source, views)
        else:
            headers = {
                name.decode("latin-1"): value.decode("latin-1")
                for name, value in scope.get("headers", ())
            }
            response = views.handle(
                view, method=method, query=scope.get("query_string", b""), headers=headers
            )
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": [
                    (k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers
                ],
            }
        )
        body = b"" if method == "HEAD" else response.body
        await send({"type": "http.response.body", "body": body})

    async def _render_metrics(self, source: SnapshotSource, views: HealthViews) -> Response:
        if not self.cache_metrics:
            self.metrics_renders += 1
            return await asyncio.to_thread(views.handle, "metrics")
        # The version is read before rendering: if the snapshot moves during the render, the
        # next scrape renders again rather than keeping an answer older than its label.
        version = source.snapshot.version
        cached = self._metrics
        if cached is not None and cached[0] is views and cached[1] == version:
            return await asyncio.shield(cached[2])
        future: asyncio.Future[Response] = asyncio.ensure_future(
            asyncio.to_thread(self._exposition_response, source, self._exposition)
        )
        self._metrics = (views, version, future)
        self.metrics_renders += 1
        try:
            return await asyncio.shield(future)
        except Exception:
            if self._metrics is not None and self._metrics[2] is future:
                self._metrics = None
            raise

    @staticmethod
    def _exposition_response(source: SnapshotSource, renderer: ExpositionRenderer) -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST

        body = renderer.render(source.snapshot)
        headers = (
            ("content-type", CONTENT_TYPE_LATEST),
            ("cache-control", "no-store"),
            ("content-length", str(len(body))),
        )
        return Response(200, headers, body)


async def _lifespan(receive: Receive, send: Send) -> None:
    # The engine's lifecycle belongs to whoever runs the server (``serve`` starts the checks
    # before it listens and stops them on SIGTERM), so the lifespan is only acknowledged.
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
