"""The immutable view of every endpoint's state that the engine publishes.

The engine swaps in a new :class:`Snapshot` (one attribute assignment) whenever results change;
readers in any thread take a reference and never lock. ``version`` grows with every swap, so
rendered responses can be cached per version.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final

from ._status import UNKNOWN

LATENCY_BUCKETS: Final[tuple[float, ...]] = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0)

_EMPTY: Final[Mapping[str, str]] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class PoolStats:
    """Connection counts of an application pool, when the pool exposes them."""

    size: int
    idle: int
    in_use: int
    max: int | None

    def to_dict(self) -> dict[str, int | None]:
        """JSON-ready form."""
        return {"size": self.size, "idle": self.idle, "in_use": self.in_use, "max": self.max}


@dataclass(frozen=True, slots=True)
class LatencyHistogram:
    """Cumulative latency observations of one endpoint (non-cumulative bucket counts)."""

    counts: tuple[int, ...] = (0,) * (len(LATENCY_BUCKETS) + 1)
    total: float = 0.0
    count: int = 0

    def observe(self, seconds: float) -> LatencyHistogram:
        """Return a new histogram with one more observation."""
        # bisect_left: a value equal to a bound falls in that bound's bucket (``le``).
        index = bisect_left(LATENCY_BUCKETS, seconds)
        counts = list(self.counts)
        counts[index] += 1
        return LatencyHistogram(tuple(counts), self.total + seconds, self.count + 1)

    def cumulative(self) -> list[tuple[str, float]]:
        """``(le, cumulative count)`` pairs in exposition form, ``+Inf`` last."""
        out: list[tuple[str, float]] = []
        running = 0
        for bound, n in zip(LATENCY_BUCKETS, self.counts, strict=False):
            running += n
            out.append((_format_bound(bound), float(running)))
        out.append(("+Inf", float(self.count)))
        return out


def _format_bound(bound: float) -> str:
    return str(int(bound)) + ".0" if bound == int(bound) else repr(bound)


@dataclass(frozen=True, slots=True)
class EndpointStatus:
    """The state of one endpoint: the dephealth ``EndpointStatus`` with its eleven fields.

    ``healthy`` is ``None`` and ``status``/``detail`` are ``"unknown"`` before the first check.
    ``latency`` is in seconds. The remaining fields are this suite's own.
    """

    healthy: bool | None
    status: str
    detail: str
    latency: float
    type: str
    name: str
    host: str
    port: str
    critical: bool
    last_checked_at: datetime | None
    labels: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    last_success_at: datetime | None = None
    consecutive_failures: int = 0
    transitions: int = 0
    pool: PoolStats | None = None
    histogram: LatencyHistogram = field(default_factory=LatencyHistogram, repr=False)
    lateness: float = 0.0

    @property
    def key(self) -> str:
        """``"dependency:host:port"``."""
        return f"{self.name}:{self.host}:{self.port}"

    @property
    def checked(self) -> bool:
        """True once the endpoint has a result."""
        return self.status != UNKNOWN

    def latency_millis(self) -> float:
        """The latency in milliseconds."""
        return self.latency * 1000.0

    def to_dict(self) -> dict[str, Any]:
        """The canonical HealthDetails JSON object of the contract (snake_case keys)."""
        data: dict[str, Any] = {
            "healthy": self.healthy,
            "status": self.status,
            "detail": self.detail,
            "latency_ms": round(self.latency * 1000.0, 3),
            "type": self.type,
            "name": self.name,
            "host": self.host,
            "port": self.port,
            "critical": self.critical,
            "last_checked_at": _iso(self.last_checked_at),
            "labels": dict(self.labels),
        }
        data["lateness_ms"] = round(self.lateness * 1000.0, 3)
        if self.pool is not None:
            data["pool"] = self.pool.to_dict()
        return data


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass(frozen=True, slots=True)
class ScheduleStats:
    """How late the engine's checks start against their slots, since the checks started.

    Attributes:
        lateness: start lateness of every scheduled check (same buckets as latency).
        missed: slots skipped because the engine was a whole interval or more behind.
        last: the start lateness of the latest check, seconds.
    """

    lateness: LatencyHistogram = field(default_factory=LatencyHistogram)
    missed: int = 0
    last: float = 0.0


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Every endpoint's status at one moment, plus the engine's lifecycle flags.

    Attributes:
        version: grows by one with each published snapshot.
        name: the service name; ``group`` its group.
        endpoints: endpoint key -> status, in declaration order.
        running: checks are scheduled.
        stopping: shutdown has begun (readiness fails from then on).
        schedule: lateness of check starts and missed slots.
    """

    version: int
    name: str
    group: str
    endpoints: Mapping[str, EndpointStatus]
    running: bool = False
    stopping: bool = False
    schedule: ScheduleStats = field(default_factory=ScheduleStats)

    def dependencies(self) -> dict[str, list[EndpointStatus]]:
        """Endpoints grouped by dependency name, in declaration order."""
        grouped: dict[str, list[EndpointStatus]] = {}
        for status in self.endpoints.values():
            grouped.setdefault(status.name, []).append(status)
        return grouped

    def health(self) -> dict[str, bool]:
        """Dependency name -> healthy, over checked endpoints (all of them must be healthy).

        Dependencies none of whose endpoints has been checked yet are left out, as in dephealth.
        """
        result: dict[str, bool] = {}
        for status in self.endpoints.values():
            if status.healthy is None:
                continue
            result[status.name] = result.get(status.name, True) and status.healthy
        return result
