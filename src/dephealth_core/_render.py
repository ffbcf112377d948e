"""The health answers, rendered from a snapshot: pure functions, no I/O, no framework.

Status codes, verdicts and bodies live here; :class:`~dephealth_core.HealthViews` routes,
gates and caches them, and adapters only carry them to the framework's response.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from ._snapshot import EndpointStatus, Snapshot
from ._status import OK, UNKNOWN

JSON: Final = "application/json"
HEALTH_JSON: Final = "application/health+json"
TEXT: Final = "text/plain; charset=utf-8"


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


def make_response(status: int, content_type: str, body: bytes, *extra: tuple[str, str]) -> Response:
    headers = (
        ("content-type", content_type),
        ("cache-control", "no-store"),
        ("content-length", str(len(body))),
        *extra,
    )
    return Response(status, headers, body)


def json_response(status: int, data: Any, content_type: str = JSON) -> Response:
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return make_response(status, content_type, body)


def text_response(status: int, text: str) -> Response:
    return make_response(status, TEXT, text.encode())


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
    return json_response(200 if healthy else 503, body)


def render_unknown_dependencies() -> Response:
    """``/health/dependencies`` before any result, or where no engine is published: 503."""
    return json_response(503, {"status": "unknown", "dependencies": {}})


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
    return text_response(200 if ready else 503, text)


def render_livez(alive: bool, reason: str) -> Response:
    """``/livez``: whether the process and its checker engine make progress."""
    if alive:
        return text_response(200, "ok\n")
    return text_response(503, f"livez check failed: {reason}\n")


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
    return json_response(503 if overall == "fail" else 200, body, HEALTH_JSON)


def _endpoint_verdict(endpoint: EndpointStatus) -> str:
    if endpoint.healthy:
        return "pass"
    return "fail" if endpoint.critical else "warn"


def render_details(snapshot: Snapshot) -> Response:
    """``/health/details``: the dephealth HealthDetails JSON, keyed ``dependency:host:port``."""
    return json_response(200, {key: status.to_dict() for key, status in snapshot.endpoints.items()})
