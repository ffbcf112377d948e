"""The dephealth metric families, collected from a snapshot source at scrape time.

A custom collector (prometheus_client's ``Collector.collect`` protocol) rather than live
gauges: nothing exists before an endpoint's first check, a changed detail replaces its series,
a removed endpoint takes all its series with it, and a check costs no metric locks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import REGISTRY, Collector, CollectorRegistry

from ._exceptions import ConfigError
from ._snapshot import EndpointStatus, ScheduleStats
from ._status import STATUS_CATEGORIES

if TYPE_CHECKING:
    from ._protocols import SnapshotSource

HEALTH = "app_dependency_health"
LATENCY = "app_dependency_latency_seconds"
STATUS = "app_dependency_status"
DETAIL = "app_dependency_status_detail"
POOL = "dephealth_pool_connections"
LAST_SUCCESS = "dephealth_last_success_timestamp_seconds"
TRANSITIONS = "dephealth_transitions"
LATENESS = "dephealth_check_lateness_seconds"
MISSED = "dephealth_checks_missed"

HELP = {
    HEALTH: "Health status of a dependency (1 = healthy, 0 = unhealthy)",
    LATENCY: "Latency of dependency health check in seconds",
    STATUS: "Category of the last check result",
    DETAIL: "Detailed reason of the last check result",
    POOL: "Connections of the application pool a check borrows from, by state",
    LAST_SUCCESS: "Unix time of the last successful check",
    TRANSITIONS: "Changes of health state since the checks started",
    LATENESS: "How long after its scheduled time each check started, in seconds",
    MISSED: "Scheduled checks skipped because the engine was a whole interval behind",
}


def endpoint_labels(service: str, group: str, status: EndpointStatus) -> dict[str, str]:
    """The labels of an endpoint in contract order: required, then custom ones sorted."""
    labels = {
        "name": service,
        "group": group,
        "dependency": status.name,
        "type": status.type,
        "host": status.host,
        "port": status.port,
        "critical": "yes" if status.critical else "no",
    }
    labels.update(status.labels)
    return labels


class DependencyMetrics(Collector):
    """Exports one source's endpoints in the four contract families (and a few of our own).

    Args:
        source: what publishes the snapshots (an engine, or any ``SnapshotSource``); only its
            ``snapshot`` is read, at each scrape.
        registry: where to register (default: prometheus_client's global registry).
    """

    def __init__(self, source: SnapshotSource, registry: CollectorRegistry | None) -> None:
        self._source = source
        self.registry = REGISTRY if registry is None else registry
        try:
            self.registry.register(self)
        except ValueError as exc:
            raise ConfigError(
                "this prometheus registry already has app_dependency_* metrics, most likely "
                "from another DependencyHealth instance; give each instance its own registry "
                "(registry=CollectorRegistry()) or pass metrics=False",
                field="registry",
            ) from exc

    def unregister(self) -> None:
        """Remove the families from the registry."""
        try:
            self.registry.unregister(self)
        except KeyError:
            pass

    def describe(self) -> Iterator[Metric]:
        """The family names, so the registry can refuse a second instance."""
        yield GaugeMetricFamily(HEALTH, HELP[HEALTH])
        yield HistogramMetricFamily(LATENCY, HELP[LATENCY])
        yield GaugeMetricFamily(STATUS, HELP[STATUS])
        yield GaugeMetricFamily(DETAIL, HELP[DETAIL])
        yield GaugeMetricFamily(POOL, HELP[POOL])
        yield GaugeMetricFamily(LAST_SUCCESS, HELP[LAST_SUCCESS])
        yield CounterMetricFamily(TRANSITIONS, HELP[TRANSITIONS])
        yield HistogramMetricFamily(LATENESS, HELP[LATENESS])
        yield CounterMetricFamily(MISSED, HELP[MISSED])

    def collect(self) -> Iterator[Metric]:
        """Build the families from the latest snapshot."""
        snapshot = self._source.snapshot
        health = GaugeMetricFamily(HEALTH, HELP[HEALTH])
        latency = HistogramMetricFamily(LATENCY, HELP[LATENCY])
        status_family = GaugeMetricFamily(STATUS, HELP[STATUS])
        detail = GaugeMetricFamily(DETAIL, HELP[DETAIL])
        pool = GaugeMetricFamily(POOL, HELP[POOL])
        last_success = GaugeMetricFamily(LAST_SUCCESS, HELP[LAST_SUCCESS])
        transitions = CounterMetricFamily(TRANSITIONS, HELP[TRANSITIONS])
        for endpoint in snapshot.endpoints.values():
            if endpoint.healthy is None:
                continue
            labels = endpoint_labels(snapshot.name, snapshot.group, endpoint)
            health.add_sample(HEALTH, labels, 1.0 if endpoint.healthy else 0.0)
            histogram = endpoint.histogram
            for bound, count in histogram.cumulative():
                latency.add_sample(f"{LATENCY}_bucket", {**labels, "le": bound}, count)
            latency.add_sample(f"{LATENCY}_count", labels, float(histogram.count))
            latency.add_sample(f"{LATENCY}_sum", labels, histogram.total)
            for category in STATUS_CATEGORIES:
                status_family.add_sample(
                    STATUS,
                    {**labels, "status": category},
                    1.0 if category == endpoint.status else 0.0,
                )
            detail.add_sample(DETAIL, {**labels, "detail": endpoint.detail}, 1.0)
            if endpoint.pool is not None:
                for state, value in endpoint.pool.to_dict().items():
                    if value is not None:
                        pool.add_sample(POOL, {**labels, "state": state}, float(value))
            if endpoint.last_success_at is not None:
                last_success.add_sample(LAST_SUCCESS, labels, endpoint.last_success_at.timestamp())
            transitions.add_sample(f"{TRANSITIONS}_total", labels, float(endpoint.transitions))
        yield health
        yield latency
        yield status_family
        yield detail
        if pool.samples:
            yield pool
        yield last_success
        yield transitions
        yield from schedule_families(snapshot.name, snapshot.group, snapshot.schedule)


def schedule_families(service: str, group: str, schedule: ScheduleStats) -> Iterator[Metric]:
    """The engine's own lateness, one series set per engine (labels ``name``, ``group``)."""
    lateness = HistogramMetricFamily(LATENESS, HELP[LATENESS])
    missed = CounterMetricFamily(MISSED, HELP[MISSED])
    if schedule.lateness.count:
        labels = {"name": service, "group": group}
        histogram = schedule.lateness
        for bound, count in histogram.cumulative():
            lateness.add_sample(f"{LATENESS}_bucket", {**labels, "le": bound}, count)
        lateness.add_sample(f"{LATENESS}_count", labels, float(histogram.count))
        lateness.add_sample(f"{LATENESS}_sum", labels, histogram.total)
        missed.add_sample(f"{MISSED}_total", labels, float(schedule.missed))
    yield lateness
    yield missed
