"""The health endpoints without any web framework: routing, detail gating and caching.

Adapters turn a request into :meth:`HealthViews.handle` and its :class:`Response` into the
framework's response; every decision about health semantics lives here and in
:mod:`._render`. Responses are rendered once per snapshot version and reused.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Final, Literal
from urllib.parse import parse_qs

from ._render import (
    TEXT,
    Response,
    make_response,
    render_dependencies,
    render_details,
    render_health,
    render_livez,
    render_readyz,
    render_unknown_dependencies,
    text_response,
)
from ._validation import BOOLEAN_WORDS
from ._view_options import DEFAULT_PATHS, ShowDetails, ViewOptions

if TYPE_CHECKING:
    from .typing import SnapshotSource

__all__ = [
    "DEFAULT_PATHS",
    "HealthViews",
    "Response",
    "ShowDetails",
    "ViewOptions",
    "render_dependencies",
    "render_details",
    "render_health",
    "render_livez",
    "render_readyz",
    "render_unknown_dependencies",
]

logger = logging.getLogger("dephealth")

ALLOWED_METHODS: Final = ("GET", "HEAD")
MAX_QUERY: Final = 2048
MAX_CACHE: Final = 64


# -- routing, gating and caching ----------------------------------------------------------


class HealthViews:
    """Serves the health endpoints of one snapshot source; adapters only route to :meth:`handle`.

    Args:
        source: what publishes the snapshots shown (a :class:`DependencyHealth`, or any
            :class:`~dephealth_core.typing.SnapshotSource`).
        options: the :class:`ViewOptions`; or give their fields as keywords instead
            (``prefix``, ``paths``, ``show_details``, ``details_token``, ``metrics``,
            ``registry``).

    Raises:
        ConfigError: for invalid options, naming the field.
    """

    def __init__(
        self, source: SnapshotSource, options: ViewOptions | None = None, /, **keywords: Any
    ) -> None:
        if options is None:
            options = ViewOptions(**keywords)
        elif keywords:
            options = replace(options, **keywords)
        self.source = source
        self.options = options
        self.paths: dict[str, str] = dict(options.routes)
        self._routes = {path: view for view, path in self.paths.items()}
        self._token = options.details_token.encode() if options.details_token else None
        self._cache: dict[tuple[Any, ...], Response] = {}
        self._cache_version = -1
        self._stall_logged = False

    @property
    def show_details(self) -> ShowDetails:
        """Who sees details: ``"never"``, ``"token"``, ``"always"`` or the callable."""
        return self.options.show_details

    def match(self, path: str) -> str | None:
        """The view served at ``path``, or ``None``."""
        return self._routes.get(path)

    def handle(
        self,
        view: str,
        *,
        method: str = "GET",
        query: str | bytes = "",
        headers: Mapping[str, str] | None = None,
        request: Any = None,
    ) -> Response:
        """Answer a request for ``view`` (a name from :attr:`paths`)."""
        if method not in ALLOWED_METHODS:
            return make_response(
                405, TEXT, b"method not allowed\n", ("allow", ", ".join(ALLOWED_METHODS))
            )
        if view == "livez":
            return self._livez()
        if view == "metrics":
            return self._metrics()
        if isinstance(query, bytes):
            query = query.decode("latin-1")
        snapshot = self.source.snapshot
        if snapshot.version != self._cache_version:
            self._cache = {}
            self._cache_version = snapshot.version
        if view == "dependencies":
            return self._cached(("dependencies",), lambda: render_dependencies(snapshot))
        if view == "readyz":
            params = _parse_query(query)
            if params is None:
                return text_response(400, "malformed query string\n")
            # A bare ?verbose, or a value the boolean words do not know, asks for verbose.
            verbose = "verbose" in params and BOOLEAN_WORDS.get(
                params["verbose"][-1].strip().lower(), True
            )
            exclude = frozenset(
                part.strip() for value in params.get("exclude", ()) for part in value.split(",")
            )
            return self._cached(
                ("readyz", verbose, exclude),
                lambda: render_readyz(snapshot, verbose=verbose, exclude=exclude),
            )
        if view == "health":
            allowed = self._details_allowed(headers, request) is True
            return self._cached(
                ("health", allowed), lambda: render_health(snapshot, details=allowed)
            )
        if view == "details":
            verdict = self._details_allowed(headers, request)
            if verdict is True:
                return self._cached(("details",), lambda: render_details(snapshot))
            return verdict
        return text_response(404, "not found\n")

    def _cached(self, key: tuple[Any, ...], render: Callable[[], Response]) -> Response:
        response = self._cache.get(key)
        if response is None:
            response = render()
            if len(self._cache) < MAX_CACHE:
                self._cache[key] = response
        return response

    def _details_allowed(
        self, headers: Mapping[str, str] | None, request: Any
    ) -> Literal[True] | Response:
        mode = self.options.show_details
        if mode == "always":
            return True
        if mode == "never":
            return text_response(404, "not found\n")
        if mode == "token":
            supplied = _bearer(headers)
            if (
                supplied is not None
                and self._token is not None
                and hmac.compare_digest(supplied.encode(), self._token)
            ):
                return True
            return make_response(401, TEXT, b"unauthorized\n", ("www-authenticate", "Bearer"))
        try:
            permitted = bool(mode(request))
        except Exception as exc:
            logger.warning("dephealth: show_details callable failed error=%s", type(exc).__name__)
            permitted = False
        return True if permitted else text_response(403, "forbidden\n")

    def _livez(self) -> Response:
        alive, reason = self.source.alive()
        if not alive and not self._stall_logged:
            logger.error("dephealth: engine not alive: %s", reason)
            self._stall_logged = True
        elif alive:
            self._stall_logged = False
        return render_livez(alive, reason)

    def _metrics(self) -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        registry = self.options.registry
        if registry is None:
            registry = self.source.registry
        if registry is None:
            return text_response(404, "not found\n")
        return make_response(200, CONTENT_TYPE_LATEST, generate_latest(registry))


def _parse_query(query: str) -> dict[str, list[str]] | None:
    if not query:
        return {}
    if len(query) > MAX_QUERY:
        return None
    try:
        return parse_qs(query, keep_blank_values=True, max_num_fields=64)
    except ValueError:
        return None


def _bearer(headers: Mapping[str, str] | None) -> str | None:
    if not headers:
        return None
    value = headers.get("authorization") or headers.get("Authorization")
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return token.strip()
