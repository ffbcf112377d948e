"""The Prometheus text exposition of one engine's families, written straight from a snapshot.

Byte for byte what ``prometheus_client.generate_latest`` gives for a registry that holds only
the engine's :class:`DependencyMetrics`, at a fraction of the cost: ten thousand endpoints are
about 230,000 samples, and building a sample object, a label dict and a sorted label string for
each of them is most of a scrape's time. Here an endpoint's label strings are built once, kept
while the endpoint exists, and each sample is one string join.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import cast

from prometheus_client import generate_latest, utils
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import CollectorRegistry

from ._metrics import (
    DETAIL,
    HEALTH,
    HELP,
    LAST_SUCCESS,
    LATENCY,
    POOL,
    STATUS,
    TRANSITIONS,
    endpoint_labels,
    schedule_families,
)
from ._snapshot import LATENCY_BUCKETS, EndpointStatus, Snapshot
from ._status import STATUS_CATEGORIES

#: prometheus_client's float formatting (Go's), so that the bytes match generate_latest.
_go = cast(Callable[[float], str], utils.floatToGoString)
_BOUNDS = tuple(_go(bound) for bound in LATENCY_BUCKETS)


def _escape(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


@dataclass(frozen=True, slots=True)
class _Labels:
    """An endpoint's label string, and its two halves around each extra label."""

    plain: str
    around: Mapping[str, tuple[str, str]]


def _labels(service: str, group: str, status: EndpointStatus) -> _Labels:
    ordered = sorted(endpoint_labels(service, group, status).items())
    rendered = [f'{key}="{_escape(value)}"' for key, value in ordered]
    around: dict[str, tuple[str, str]] = {}
    for extra in ("le", "status", "detail", "state"):
        # prometheus_client sorts label names, the extra one included.
        cut = sum(1 for key, _ in ordered if key < extra)
        head = ",".join(rendered[:cut])
        tail = ",".join(rendered[cut:])
        around[extra] = (head + "," if head else "", "," + tail if tail else "")
    return _Labels(",".join(rendered), around)


def _header(name: str, kind: str, documentation: str) -> str:
    text = documentation.replace("\\", r"\\").replace("\n", r"\n")
    return f"# HELP {name} {text}\n# TYPE {name} {kind}\n"


class _Families:
    """A registry-shaped holder of ready families, for ``generate_latest``."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterable[Metric]:
        return self._families


class ExpositionRenderer:
    """Renders snapshots of one engine; keeps each endpoint's label strings between renders."""

    def __init__(self) -> None:
        self._cache: dict[tuple[object, ...], _Labels] = {}

    def _for(self, service: str, group: str, status: EndpointStatus) -> _Labels:
        key = (
            service,
            group,
            status.name,
            status.type,
            status.host,
            status.port,
            status.critical,
            tuple(status.labels.items()),
        )
        labels = self._cache.get(key)
        if labels is None:
            labels = self._cache[key] = _labels(service, group, status)
        return labels

    def render(self, snapshot: Snapshot) -> bytes:
        """The exposition of ``snapshot``, as ``generate_latest`` would write it."""
        checked = [s for s in snapshot.endpoints.values() if s.healthy is not None]
        rows = [(status, self._for(snapshot.name, snapshot.group, status)) for status in checked]
        if len(self._cache) > 2 * len(rows) + 1024:
            self._cache = {}  # endpoints removed or relabelled: forget their strings
        go = _go
        out: list[str] = [_header(HEALTH, "gauge", HELP[HEALTH])]
        for status, labels in rows:
            out.append(f"{HEALTH}{{{labels.plain}}} {'1.0' if status.healthy else '0.0'}\n")
        out.append(_header(LATENCY, "histogram", HELP[LATENCY]))
        for status, labels in rows:
            head, tail = labels.around["le"]
            histogram = status.histogram
            running = 0
            for bound, count in zip(_BOUNDS, histogram.counts, strict=False):
                running += count
                out.append(f'{LATENCY}_bucket{{{head}le="{bound}"{tail}}} {go(running)}\n')
            out.append(f'{LATENCY}_bucket{{{head}le="+Inf"{tail}}} {go(histogram.count)}\n')
            out.append(f"{LATENCY}_count{{{labels.plain}}} {go(histogram.count)}\n")
            out.append(f"{LATENCY}_sum{{{labels.plain}}} {go(histogram.total)}\n")
        out.append(_header(STATUS, "gauge", HELP[STATUS]))
        for status, labels in rows:
            head, tail = labels.around["status"]
            for category in STATUS_CATEGORIES:
                value = "1.0" if category == status.status else "0.0"
                out.append(f'{STATUS}{{{head}status="{category}"{tail}}} {value}\n')
        out.append(_header(DETAIL, "gauge", HELP[DETAIL]))
        for status, labels in rows:
            head, tail = labels.around["detail"]
            out.append(f'{DETAIL}{{{head}detail="{_escape(status.detail)}"{tail}}} 1.0\n')
        pooled = [(status, labels) for status, labels in rows if status.pool is not None]
        pool_lines: list[str] = []
        for status, labels in pooled:
            head, tail = labels.around["state"]
            assert status.pool is not None
            for state, amount in status.pool.to_dict().items():
                if amount is not None:
                    pool_lines.append(f'{POOL}{{{head}state="{state}"{tail}}} {go(amount)}\n')
        if pool_lines:
            out.append(_header(POOL, "gauge", HELP[POOL]))
            out.extend(pool_lines)
        out.append(_header(LAST_SUCCESS, "gauge", HELP[LAST_SUCCESS]))
        for status, labels in rows:
            if status.last_success_at is not None:
                moment = go(status.last_success_at.timestamp())
                out.append(f"{LAST_SUCCESS}{{{labels.plain}}} {moment}\n")
        transitions = f"{TRANSITIONS}_total"
        out.append(_header(transitions, "counter", HELP[TRANSITIONS]))
        for status, labels in rows:
            out.append(f"{transitions}{{{labels.plain}}} {go(status.transitions)}\n")
        # The engine's own schedule families are a handful of samples: prometheus_client
        # writes them itself.
        schedule = _Families(schedule_families(snapshot.name, snapshot.group, snapshot.schedule))
        return "".join(out).encode("utf-8") + generate_latest(cast(CollectorRegistry, schedule))
