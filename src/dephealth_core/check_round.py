"""One round of checks, as a person or a script reads it: a table, a JSON document, a verdict.

``dephealth check`` and Django's ``manage.py dephealth`` print the same table and exit with the
same code, both from here. Everything takes either a :class:`~dephealth_core.Snapshot` or what
``DependencyHealth.health_details()`` / ``check_now()`` return.

Example:
    details = await dh.check_now()
    print(render_table(details))
    raise SystemExit(round_verdict(details).exit_code)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from ._snapshot import EndpointStatus, Snapshot
from ._urls import format_host

__all__ = ["TABLE_HEADERS", "RoundVerdict", "details_json", "render_table", "round_verdict"]

#: Column titles of :func:`render_table`.
TABLE_HEADERS: Final = ("DEPENDENCY", "ENDPOINT", "CRITICAL", "STATUS", "DETAIL", "LATENCY MS")

Details = Snapshot | Mapping[str, EndpointStatus]


def _statuses(details: Details) -> list[EndpointStatus]:
    endpoints = details.endpoints if isinstance(details, Snapshot) else details
    return list(endpoints.values())


@dataclass(frozen=True, slots=True)
class RoundVerdict:
    """What one round says about the service's dependencies.

    Attributes:
        failing: critical dependencies that are down, in declaration order.
        pending: critical dependencies with an endpoint not checked yet.
        degraded: non-critical dependencies that are down.
    """

    failing: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()
    degraded: tuple[str, ...] = ()

    @property
    def ready(self) -> bool:
        """True when every critical dependency has a result and none is down."""
        return not self.failing and not self.pending

    @property
    def exit_code(self) -> int:
        """``0`` when ready, ``1`` otherwise (``2``, bad configuration, is the caller's)."""
        return 0 if self.ready else 1

    def summary(self) -> str:
        """One line for a person: ``ready`` or what the service is waiting on."""
        if self.ready:
            line = "ready"
            if self.degraded:
                line += f" (non-critical down: {', '.join(self.degraded)})"
            return line
        parts = []
        if self.failing:
            parts.append(f"critical down: {', '.join(self.failing)}")
        if self.pending:
            parts.append(f"no result yet: {', '.join(self.pending)}")
        return "not ready: " + "; ".join(parts)


def round_verdict(details: Details) -> RoundVerdict:
    """Decide a round: ready when no critical dependency is down or unchecked."""
    failing: dict[str, None] = {}
    pending: dict[str, None] = {}
    degraded: dict[str, None] = {}
    for status in _statuses(details):
        if status.healthy is None:
            if status.critical:
                pending[status.name] = None
        elif not status.healthy:
            (failing if status.critical else degraded)[status.name] = None
    return RoundVerdict(
        failing=tuple(failing),
        pending=tuple(name for name in pending if name not in failing),
        degraded=tuple(degraded),
    )


def _row(status: EndpointStatus) -> tuple[str, ...]:
    latency = f"{status.latency * 1000.0:.1f}" if status.checked else "-"
    return (
        status.name,
        f"{format_host(status.host)}:{status.port}",
        "yes" if status.critical else "no",
        status.status,
        status.detail,
        latency,
    )


def render_table(details: Details) -> str:
    """The round as an aligned text table, one line per endpoint, headers first.

    Statuses only, like the public health answers: no credential, no error text.
    """
    rows = [TABLE_HEADERS, *(_row(status) for status in _statuses(details))]
    widths = [max(len(row[i]) for row in rows) for i in range(len(TABLE_HEADERS))]
    lines = (
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
    return "\n".join(lines)


def details_json(details: Details, *, indent: int | None = 2) -> str:
    """The round as the dephealth HealthDetails JSON, keyed ``dependency:host:port``."""
    endpoints = details.endpoints if isinstance(details, Snapshot) else details
    data = {key: status.to_dict() for key, status in endpoints.items()}
    return json.dumps(data, indent=indent, ensure_ascii=False)
