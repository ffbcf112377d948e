"""The health endpoints, rendered from a snapshot without any web framework.

Adapters turn a request into :meth:`HealthViews.handle` and its :class:`Response` into the
framework's response; every decision about health semantics lives here. Responses are
rendered once per snapshot version and reused.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final, Literal
from urllib.parse import parse_qs

from ._snapshot import EndpointStatus, Snapshot
from ._status import OK, UNKNOWN
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

JSON: Final = "application/json"
HEALTH_JSON: Final = "application/health+json"
TEXT: Final = "text/plain; charset=utf-8"
ALLOWED_METHODS: Final = ("GET", "HEAD")
MAX_QUERY: Final = 2048
MAX_CACHE: Final = 64


@dataclass(frozen=True, slots=True)
class Response:
    """A rendered answer: status code, headers and body bytes."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` header."""
        return next(value for name, value in self.headers if name == "content-type")


def _response(status: int, content_type: str, body: bytes, *extra: tuple[str, str]) -> Response:
    headers = (
        ("content-type", content_type),
        ("cache-control", "no-store"),
        ("content-length", str(len(body))),
        *extra,
    )
    return Response(status, headers, body)


def _json(status: int, data: Any, content_type: str = JSON) -> Response:
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return _response(status, content_type, body)


def _text(status: int, text: str) -> Response:
    return _response(status, TEXT, text.encode())


# -- pure renderers -----------------------------------------------------------------------


def _dependency_state(endpoints: list[EndpointStatus]) -> tuple[bool | None, str]:
    """A dependency's health and worst status over its endpoints (``None``: not yet known)."""
    if any(e.healthy is None for e in endpoints):
        return None, UNKNOWN
    failing = [e for e in endpoints if not e.healthy]
    if failing:
        return False, failing[0].status
    worst = next((e.status for e in endpoints if e.status != OK), OK)
    return True, worst


def render_dependencies(snapshot: Snapshot) -> Response:
    """``/health/dependencies``: the dephealth-compatible ``{name: bool}`` answer."""
    dependencies = snapshot.health()
    if snapshot.endpoints and not dependencies:
        # Declared but not checked yet: not healthy, as dephealth answers before its first round.
        return render_unknown_dependencies()
    healthy = all(dependencies.values())
    body = {"status": "healthy" if healthy else "degraded", "dependencies": dependencies}
    return _json(200 if healthy else 503, body)


def render_unknown_dependencies() -> Response:
    """``/health/dependencies`` before any result, or where no engine is published: 503."""
    return _json(503, {"status": "unknown", "dependencies": {}})


def render_readyz(
    snapshot: Snapshot, *, verbose: bool = False, exclude: frozenset[str] = frozenset()
) -> Response:
    """``/readyz``: 200 once every critical dependency has a result and none is down."""
    lines: list[str] = []
    ready = True
    for name, endpoints in snapshot.dependencies().items():
        healthy, status = _dependency_state(endpoints)
        critical = any(e.critical for e in endpoints)
        suffix = "" if critical else " (non-critical)"
        if name in exclude:
            lines.append(f"[+]{name} excluded{suffix}")
            continue
        if healthy is None:
            lines.append(f"[-]{name} pending: no result yet{suffix}")
            ready = ready and not critical
        elif healthy:
            lines.append(f"[+]{name} ok{suffix}")
        else:
            lines.append(f"[-]{name} failed: {status}{suffix}")
            ready = ready and not critical
    if snapshot.stopping:
        ready = False
        lines.append("[-]shutdown in progress")
    elif not snapshot.running:
        ready = False
        lines.append("[-]checks not running")
    verdict = "readyz check passed" if ready else "readyz check failed"
    text = "\n".join([*lines, verdict]) + "\n" if verbose else ("ok\n" if ready else verdict + "\n")
    return _text(200 if ready else 503, text)


def render_livez(alive: bool, reason: str) -> Response:
    """``/livez``: whether the process and its checker engine make progress."""
    if alive:
        return _text(200, "ok\n")
    return _text(503, f"livez check failed: {reason}\n")


def render_health(snapshot: Snapshot, *, details: bool) -> Response:
    """``/health``: ``application/health+json`` with pass, warn or fail."""
    overall = "pass"
    checks: dict[str, list[dict[str, Any]]] = {}
    for name, endpoints in snapshot.dependencies().items():
        healthy, _ = _dependency_state(endpoints)
        critical = any(e.critical for e in endpoints)
        if healthy:
            verdict = "pass"
        elif critical:
            verdict = "fail"
        else:
            verdict = "warn"
        if verdict == "fail":
            overall = "fail"
        elif verdict == "warn" and overall == "pass":
            overall = "warn"
        if not details:
            checks[name] = [{"componentType": endpoints[0].type, "status": verdict}]
            continue
        entries = []
        for endpoint in endpoints:
            entry: dict[str, Any] = {
                "componentId": f"{endpoint.host}:{endpoint.port}",
                "componentType": endpoint.type,
                "status": _endpoint_verdict(endpoint),
                "critical": endpoint.critical,
                "output": endpoint.detail,
            }
            if endpoint.last_checked_at is not None:
                entry["observedValue"] = round(endpoint.latency * 1000.0, 3)
                entry["observedUnit"] = "ms"
                entry["time"] = endpoint.to_dict()["last_checked_at"]
            entries.append(entry)
        checks[name] = entries
    if snapshot.stopping:
        overall = "fail"
    body = {"status": overall, "serviceId": snapshot.name, "checks": checks}
    if details:
        body["description"] = f"{snapshot.name} ({snapshot.group})"
    return _json(503 if overall == "fail" else 200, body, HEALTH_JSON)


def _endpoint_verdict(endpoint: EndpointStatus) -> str:
    if endpoint.healthy:
        return "pass"
    return "fail" if endpoint.critical else "warn"


def render_details(snapshot: Snapshot) -> Response:
    """``/health/details``: the dephealth HealthDetails JSON, keyed ``dependency:host:port``."""
    return _json(200, {key: status.to_dict() for key, status in snapshot.endpoints.items()})


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
            return _response(
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
                return _text(400, "malformed query string\n")
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
        return _text(404, "not found\n")

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
            return _text(404, "not found\n")
        if mode == "token":
            supplied = _bearer(headers)
            if (
                supplied is not None
                and self._token is not None
                and hmac.compare_digest(supplied.encode(), self._token)
            ):
                return True
            return _response(401, TEXT, b"unauthorized\n", ("www-authenticate", "Bearer"))
        try:
            permitted = bool(mode(request))
        except Exception as exc:
            logger.warning("dephealth: show_details callable failed error=%s", type(exc).__name__)
            permitted = False
        return True if permitted else _text(403, "forbidden\n")

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
            return _text(404, "not found\n")
        return _response(200, CONTENT_TYPE_LATEST, generate_latest(registry))


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
