"""The dephealth metric contract, checked on prometheus_client's real text exposition."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from dephealth_core import ConfigError, ConnectionRefused, DependencyHealth, Unhealthy

from .fakes import ScriptedChecker, fake_dependency
from .virtual_time import run_virtual

REQUIRED = ["name", "group", "dependency", "type", "host", "port", "critical"]


def exposition(registry: CollectorRegistry) -> dict[str, Any]:
    text = generate_latest(registry).decode()
    return {family.name: family for family in text_string_to_metric_families(text)}


def make(*deps: Any) -> tuple[DependencyHealth, CollectorRegistry]:
    registry = CollectorRegistry()
    dh = DependencyHealth(
        "order-api",
        "billing-team",
        *deps,
        registry=registry,
        environ={},
        check_interval=10,
        timeout=1,
    )
    return dh, registry


def test_nothing_is_exported_before_the_first_check() -> None:
    """Families have no samples until an endpoint has a result."""
    dh, registry = make(fake_dependency("db", ScriptedChecker()))
    families = exposition(registry)
    assert all(not family.samples for family in families.values())


def test_families_help_types_labels_and_buckets() -> None:
    """Names, HELP texts, types, label names and order, and buckets follow the contract."""
    checker = ScriptedChecker()
    dh, registry = make(
        fake_dependency("postgres-main", checker, labels={"role": "primary", "az": "a"})
    )
    run_virtual(dh.check_now())
    families = exposition(registry)
    health = families["app_dependency_health"]
    assert health.type == "gauge"
    assert health.documentation == "Health status of a dependency (1 = healthy, 0 = unhealthy)"
    (sample,) = health.samples
    assert sample.value == 1.0
    assert sample.labels == {
        "name": "order-api",
        "group": "billing-team",
        "dependency": "postgres-main",
        "type": "tcp",
        "host": "10.0.0.1",
        "port": "1",
        "critical": "yes",
        "az": "a",
        "role": "primary",
    }
    latency = families["app_dependency_latency_seconds"]
    assert latency.type == "histogram"
    assert latency.documentation == "Latency of dependency health check in seconds"
    buckets = [s.labels["le"] for s in latency.samples if s.name.endswith("_bucket")]
    assert buckets == ["0.001", "0.005", "0.01", "0.05", "0.1", "0.5", "1.0", "5.0", "+Inf"]
    status = families["app_dependency_status"]
    assert status.documentation == "Category of the last check result"
    assert sorted(s.labels["status"] for s in status.samples) == sorted(
        [
            "ok",
            "timeout",
            "connection_error",
            "dns_error",
            "auth_error",
            "tls_error",
            "unhealthy",
            "error",
        ]
    )
    assert [s.labels["status"] for s in status.samples if s.value == 1.0] == ["ok"]
    detail = families["app_dependency_status_detail"]
    assert detail.documentation == "Detailed reason of the last check result"
    assert [(s.labels["detail"], s.value) for s in detail.samples] == [("ok", 1.0)]


def test_label_order_in_the_collected_samples() -> None:
    """Collected samples declare the contract order: required, custom sorted, then status."""
    dh, registry = make(fake_dependency("db", ScriptedChecker(), labels={"zone": "z", "az": "a"}))
    run_virtual(dh.check_now())
    families = {f.name: f for f in registry.collect()}
    health_labels = list(families["app_dependency_health"].samples[0].labels)
    assert health_labels == [*REQUIRED, "az", "zone"]
    status_labels = list(families["app_dependency_status"].samples[0].labels)
    assert status_labels == [*REQUIRED, "az", "zone", "status"]
    detail_labels = list(families["app_dependency_status_detail"].samples[0].labels)
    assert detail_labels == [*REQUIRED, "az", "zone", "detail"]


def test_detail_series_is_replaced_on_change_and_latency_counts_failures() -> None:
    """A new detail replaces the old series; failed checks are observed in the histogram."""
    checker = ScriptedChecker(outcomes=[None, Unhealthy(detail="http_503"), ConnectionRefused()])
    dh, registry = make(fake_dependency("api", checker))

    async def rounds() -> None:
        for _ in range(3):
            await dh.check_now()

    run_virtual(rounds())
    families = exposition(registry)
    details = [s.labels["detail"] for s in families["app_dependency_status_detail"].samples]
    assert details == ["connection_refused"]
    active = [
        s.labels["status"] for s in families["app_dependency_status"].samples if s.value == 1.0
    ]
    assert active == ["connection_error"]
    count = next(
        s for s in families["app_dependency_latency_seconds"].samples if s.name.endswith("_count")
    )
    assert count.value == 3.0
    assert families["app_dependency_health"].samples[0].value == 0.0


def test_removed_endpoint_takes_all_its_series() -> None:
    """remove_dependency() removes every series of its endpoints."""
    dh, registry = make(
        fake_dependency("db", ScriptedChecker()),
        fake_dependency("cache", ScriptedChecker(), host="10.0.0.2"),
    )

    async def scenario() -> None:
        await dh.check_now()
        dh.remove_dependency("db")

    run_virtual(scenario())
    text = generate_latest(registry).decode()
    assert 'dependency="db"' not in text
    assert 'dependency="cache"' in text


def test_two_instances_on_one_registry_fail_clearly() -> None:
    """A second instance on the same registry is a ConfigError that says what to do."""
    registry = CollectorRegistry()
    DependencyHealth("a", "g", registry=registry, environ={})
    with pytest.raises(ConfigError) as info:
        DependencyHealth("b", "g", registry=registry, environ={})
    assert info.value.field == "registry"
    assert "registry=CollectorRegistry()" in str(info.value)
