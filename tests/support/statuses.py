"""Endpoint statuses for tests of what reads a snapshot (views, tables, metrics)."""

from __future__ import annotations

from datetime import datetime

from dephealth_core import EndpointStatus, status_of


def endpoint_status(
    name: str,
    healthy: bool | None,
    *,
    checked_at: datetime,
    critical: bool = True,
    detail: str = "ok",
    host: str = "db.svc",
    latency: float = 0.0023,
    type: str = "postgres",
) -> EndpointStatus:
    """A status of ``name`` at ``host:5432``: unknown when ``healthy`` is None, else ``detail``."""
    return EndpointStatus(
        healthy=healthy,
        status="unknown" if healthy is None else status_of(detail),
        detail="unknown" if healthy is None else detail,
        latency=latency,
        type=type,
        name=name,
        host=host,
        port="5432",
        critical=critical,
        last_checked_at=None if healthy is None else checked_at,
    )
