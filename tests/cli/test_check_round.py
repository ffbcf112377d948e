"""The one-round table, JSON and verdict of `dephealth check` and `manage.py dephealth`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import MappingProxyType

import dephealth_core.check_round as check_round
from dephealth_core import EndpointStatus, Snapshot
from dephealth_core.check_round import details_json, render_table, round_verdict
from tests.support.statuses import endpoint_status


def _status(
    name: str,
    healthy: bool | None,
    *,
    critical: bool = True,
    detail: str = "ok",
    host: str = "db.svc",
) -> EndpointStatus:
    return endpoint_status(
        name, healthy, checked_at=datetime(2026, 12, 1, tzinfo=UTC), critical=critical,
        detail=detail, host=host, latency=0.0123, type="tcp",
    )  # fmt: skip


def _details(*statuses: EndpointStatus) -> dict[str, EndpointStatus]:
    return {s.key: s for s in statuses}


def test_ready_when_every_critical_dependency_is_healthy() -> None:
    """Non-critical failures do not matter to the exit code, but are named."""
    verdict = round_verdict(
        _details(_status("db", True), _status("cache", False, critical=False, detail="timeout"))
    )
    assert verdict.ready
    assert verdict.exit_code == 0
    assert verdict.degraded == ("cache",)
    assert verdict.summary() == "ready (non-critical down: cache)"


def test_a_critical_failure_or_a_missing_result_is_not_ready() -> None:
    """Exit 1 when a critical dependency is down or has no result yet; each is named once."""
    verdict = round_verdict(
        _details(
            _status("db", False, detail="connection_refused"),
            _status("db", False, detail="connection_refused", host="db2.svc"),
            _status("api", None),
        )
    )
    assert not verdict.ready
    assert verdict.exit_code == 1
    assert verdict.failing == ("db",)
    assert verdict.pending == ("api",)
    assert verdict.summary() == "not ready: critical down: db; no result yet: api"


def test_a_snapshot_is_read_like_the_details() -> None:
    """The functions take a Snapshot as well as health_details()."""
    statuses = (_status("db", True), _status("api", False, detail="http_503"))
    snapshot = Snapshot(3, "svc", "team", MappingProxyType(_details(*statuses)))
    assert round_verdict(snapshot) == round_verdict(_details(*statuses))
    assert render_table(snapshot) == render_table(_details(*statuses))
    assert details_json(snapshot) == details_json(_details(*statuses))


def test_no_dependency_is_ready() -> None:
    """An empty round decides nothing against the service (the CLI refuses it earlier)."""
    assert round_verdict({}).exit_code == 0
    assert render_table({}) == "  ".join(check_round.TABLE_HEADERS)


def test_table_columns_are_aligned() -> None:
    """One header line, one line per endpoint, columns aligned, IPv6 in brackets, '-' unchecked."""
    table = render_table(
        _details(
            _status("db", True),
            _status("payment-api", False, detail="http_503", host="::1"),
            _status("later", None),
        )
    )
    lines = table.splitlines()
    assert lines[0].split() == [
        "DEPENDENCY",
        "ENDPOINT",
        "CRITICAL",
        "STATUS",
        "DETAIL",
        "LATENCY",
        "MS",
    ]
    assert lines[1].split() == ["db", "db.svc:5432", "yes", "ok", "ok", "12.3"]
    assert lines[2].split() == ["payment-api", "[::1]:5432", "yes", "unhealthy", "http_503", "12.3"]
    assert lines[3].split() == ["later", "db.svc:5432", "yes", "unknown", "unknown", "-"]
    column = lines[0].index("ENDPOINT")
    assert all(line[column - 2 : column] == "  " for line in lines)
    assert lines[2][column:].startswith("[::1]:5432")


def test_json_is_the_details_document() -> None:
    """The JSON is keyed dependency:host:port with the contract's fields."""
    data = json.loads(details_json(_details(_status("db", True))))
    assert data["db:db.svc:5432"]["healthy"] is True
    assert data["db:db.svc:5432"]["latency_ms"] == 12.3


def test_public_names_are_pinned() -> None:
    """The module's public surface."""
    assert check_round.__all__ == sorted(check_round.__all__, key=lambda n: (not n.isupper(), n))
    assert set(check_round.__all__) == {
        "TABLE_HEADERS",
        "RoundVerdict",
        "details_json",
        "render_table",
        "round_verdict",
    }
