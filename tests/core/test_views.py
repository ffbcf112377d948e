"""The health views as pure functions of a snapshot, and their routing, gating and caching."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import pytest

from dephealth_core import (
    ConfigError,
    DependencyHealth,
    EndpointStatus,
    HealthViews,
    Snapshot,
    ViewOptions,
    render_unknown_dependencies,
)
from dephealth_core._views import (
    render_dependencies,
    render_details,
    render_health,
    render_livez,
    render_readyz,
)
from tests.support.statuses import endpoint_status

from .fakes import ScriptedChecker, fake_dependency
from .virtual_time import run_virtual

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def status(
    name: str,
    healthy: bool | None,
    *,
    critical: bool = True,
    detail: str = "ok",
    host: str = "db.svc",
) -> EndpointStatus:
    return endpoint_status(
        name, healthy, checked_at=NOW, critical=critical, detail=detail, host=host
    )


def snap(*statuses: EndpointStatus, running: bool = True, stopping: bool = False) -> Snapshot:
    return Snapshot(
        7,
        "svc",
        "team",
        MappingProxyType({s.key: s for s in statuses}),
        running=running,
        stopping=stopping,
    )


def body(response: Any) -> Any:
    return json.loads(response.body)


def test_dependencies_view_is_dephealth_compatible() -> None:
    """200 healthy with {name: bool}; 503 degraded when one is down."""
    ok = render_dependencies(snap(status("db", True), status("cache", True, critical=False)))
    assert (ok.status, body(ok)) == (
        200,
        {"status": "healthy", "dependencies": {"db": True, "cache": True}},
    )
    bad = render_dependencies(
        snap(status("db", True), status("cache", False, critical=False, detail="timeout"))
    )
    assert bad.status == 503 and body(bad)["status"] == "degraded"


def test_readyz_waits_for_every_critical_result() -> None:
    """503 until each critical dependency has a result; non-critical ones do not block."""
    assert render_readyz(snap(status("db", None))).status == 503
    assert render_readyz(snap(status("db", True), status("c", None, critical=False))).status == 200


def test_readyz_fails_on_a_critical_failure_only() -> None:
    """A failed non-critical dependency keeps readiness; a failed critical one drops it."""
    noncritical_down = snap(
        status("db", True), status("c", False, critical=False, detail="timeout")
    )
    assert render_readyz(noncritical_down).status == 200
    critical_down = snap(status("db", False, detail="connection_refused"))
    assert render_readyz(critical_down).status == 503


def test_readyz_verbose_and_exclude() -> None:
    """?verbose lists each dependency; ?exclude= leaves one out of the verdict."""
    s = snap(status("db", False, detail="timeout"), status("cache", True))
    verbose = render_readyz(s, verbose=True).body.decode()
    assert "[-]db failed: timeout" in verbose and "[+]cache ok" in verbose
    assert verbose.endswith("readyz check failed\n")
    excluded = render_readyz(s, verbose=True, exclude=frozenset({"db"}))
    assert excluded.status == 200 and "[+]db excluded" in excluded.body.decode()


def test_readyz_fails_while_shutting_down_and_before_start() -> None:
    """Shutdown and a stopped engine answer 503 even with healthy results."""
    assert render_readyz(snap(status("db", True), stopping=True)).status == 503
    assert render_readyz(snap(status("db", True), running=False)).status == 503


def test_health_json_pass_warn_fail() -> None:
    """application/health+json: pass, warn for a non-critical failure, fail for a critical one."""
    passing = render_health(snap(status("db", True)), details=False)
    assert passing.status == 200 and passing.content_type == "application/health+json"
    assert body(passing)["status"] == "pass"
    warn = render_health(
        snap(status("db", True), status("c", False, critical=False)), details=False
    )
    assert warn.status == 200 and body(warn)["status"] == "warn"
    fail = render_health(snap(status("db", False)), details=False)
    assert fail.status == 503 and body(fail)["status"] == "fail"


def test_public_answers_carry_statuses_only() -> None:
    """Without details, no host, latency or detail appears."""
    s = snap(status("db", False, detail="auth_error", host="secret-host.internal"))
    for response in (
        render_health(s, details=False),
        render_readyz(s, verbose=True),
        render_dependencies(s),
    ):
        text = response.body.decode()
        assert "secret-host" not in text and "2.3" not in text


def test_details_json_matches_the_contract() -> None:
    """HealthDetails JSON: keys dependency:host:port, snake_case fields, unknown as null."""
    data = body(render_details(snap(status("db", True), status("cache", None, host="r"))))
    assert data["db:db.svc:5432"] == {
        "healthy": True,
        "status": "ok",
        "detail": "ok",
        "latency_ms": 2.3,
        "type": "postgres",
        "name": "db",
        "host": "db.svc",
        "port": "5432",
        "critical": True,
        "last_checked_at": "2026-11-21T12:00:00.000Z",
        "labels": {},
        "lateness_ms": 0.0,
    }
    assert data["cache:r:5432"]["healthy"] is None
    assert data["cache:r:5432"]["last_checked_at"] is None


def test_livez() -> None:
    """/livez answers 200 while alive and 503 with the reason otherwise."""
    assert render_livez(True, "running").status == 200
    dead = render_livez(False, "no progress for 31.0s")
    assert dead.status == 503 and b"no progress" in dead.body


def test_every_answer_is_no_store() -> None:
    """Every view sets Cache-Control: no-store."""
    s = snap(status("db", True))
    for response in (
        render_dependencies(s),
        render_readyz(s),
        render_health(s, details=True),
        render_details(s),
        render_livez(True, ""),
    ):
        assert ("cache-control", "no-store") in response.headers


def engine() -> DependencyHealth:
    dh = DependencyHealth(
        "svc",
        "team",
        fake_dependency("db", ScriptedChecker()),
        metrics=False,
        environ={},
        check_interval=10,
        timeout=1,
    )
    run_virtual(dh.check_now())
    return dh


def test_details_gating_modes() -> None:
    """never hides details (404); token needs the bearer token; a callable decides."""
    dh = engine()
    assert HealthViews(dh).handle("details").status == 404
    views = HealthViews(dh, show_details="token", details_token="t0ken")
    assert views.handle("details").status == 401
    assert views.handle("details", headers={"authorization": "Bearer wrong"}).status == 401
    assert views.handle("details", headers={"authorization": "Bearer t0ken"}).status == 200
    staff = HealthViews(dh, show_details=lambda request: request == "staff")
    assert staff.handle("details", request="staff").status == 200
    assert staff.handle("details", request="anon").status == 403
    health = staff.handle("health", request="anon").body
    assert b"componentId" not in health
    assert b"componentId" in staff.handle("health", request="staff").body


def test_responses_are_rendered_once_per_snapshot_version() -> None:
    """Two requests on one snapshot version get the very same response object."""
    views = HealthViews(engine())
    assert views.handle("readyz") is views.handle("readyz")
    assert views.handle("readyz", query="verbose") is views.handle("readyz", query="verbose")


@pytest.mark.parametrize("method", ["POST", "DELETE", "PUT", "TRACE"])
def test_other_methods_get_405(method: str) -> None:
    """Only GET and HEAD are served."""
    response = HealthViews(engine()).handle("readyz", method=method)
    assert response.status == 405 and ("allow", "GET, HEAD") in response.headers


def test_malformed_or_huge_queries_get_400() -> None:
    """A query string too long or with too many fields is a 400, not an exception."""
    views = HealthViews(engine())
    assert views.handle("readyz", query="a=" + "x" * 5000).status == 400
    assert views.handle("readyz", query="&".join(f"k{i}=1" for i in range(100))).status == 400


def test_paths_prefix_and_metrics_toggle() -> None:
    """A prefix moves every path; /metrics is served only when asked."""
    dh = engine()
    views = HealthViews(dh, prefix="/ops", metrics=True)
    assert views.match("/ops/readyz") == "readyz"
    assert views.match("/readyz") is None
    assert views.handle("metrics").status == 404  # engine built with metrics=False
    assert "metrics" not in HealthViews(dh).paths
    with pytest.raises(ConfigError):
        HealthViews(dh, prefix="ops/")
    with pytest.raises(ConfigError):
        HealthViews(dh, show_details="token")


def test_dependencies_view_before_any_result() -> None:
    """Before the first result /health/dependencies is 503 unknown; with none declared, 200."""
    pending = render_dependencies(snap(status("db", None)))
    assert (pending.status, body(pending)["status"]) == (503, "unknown")
    assert render_dependencies(snap()).status == 200


class StaticSource:
    """A SnapshotSource that is not an engine: one fixed snapshot, alive, no registry."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.registry = None

    def alive(self) -> tuple[bool, str]:
        return True, ""


def test_views_read_any_snapshot_source() -> None:
    """HealthViews serves whatever publishes snapshots, not only a DependencyHealth."""
    views = HealthViews(StaticSource(snap(status("db", False, detail="timeout"))))
    assert views.handle("readyz").status == 503
    assert body(views.handle("dependencies"))["dependencies"] == {"db": False}
    assert views.handle("livez").status == 200
    assert HealthViews(StaticSource(snap()), metrics=True).handle("metrics").status == 404


@pytest.mark.parametrize(
    ("query", "verbose"),
    [
        ("verbose", True),
        ("verbose=1", True),
        ("verbose=YES", True),
        ("verbose=on", True),
        ("verbose=anything", True),
        ("verbose=no", False),
        ("verbose=0", False),
        ("verbose=False", False),
        ("verbose=off", False),
        ("", False),
    ],
)
def test_readyz_verbose_takes_the_boolean_words(query: str, verbose: bool) -> None:
    """?verbose follows the settings' boolean words: ?verbose=no is the short answer."""
    views = HealthViews(StaticSource(snap(status("db", True))))
    text = views.handle("readyz", query=query).body.decode()
    assert ("[+]db ok" in text) is verbose
    assert text.endswith("ok\n" if not verbose else "readyz check passed\n")


def test_views_take_a_view_options_object() -> None:
    """A ViewOptions given once serves several views; keywords given beside it override it."""
    options = ViewOptions(prefix="/ops", metrics="yes")
    views = HealthViews(StaticSource(snap()), options)
    assert views.paths["metrics"] == "/ops/metrics"
    other = HealthViews(StaticSource(snap()), options, metrics=False)
    assert "metrics" not in other.paths
    assert other.options.prefix == "/ops"


def test_unknown_dependencies_answer() -> None:
    """Where no engine is published the dephealth answer is 503 unknown, as before a result."""
    response = render_unknown_dependencies()
    assert (response.status, body(response)) == (503, {"status": "unknown", "dependencies": {}})
    assert response == render_dependencies(snap(status("db", None)))
