"""The rules and dashboards on a real Prometheus scraping a small fleet of ours.

Two services under uvicorn, ``orders -> payments``, both -> the machine's PostgreSQL and a
private redis-server, all checked every second; a private Prometheus scrapes them and
evaluates the rules every second. A test copy of the rules shortens ``DependencyDown``'s
``for:`` so the outage test walks the alert through pending, firing and resolved.

    pytest tests/deploy/test_prometheus_e2e.py -s   # prints the outage timeline
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import server_unavailable
from tests.support._process import ManagedServer, poll_until
from tests.support.prometheus import PrivatePrometheus
from tests.support.servers import PrivateRedis, ServerNotInstalled

from .conftest import RULES
from .dashboards import LABEL_VALUES, VARIABLE_VALUES, panel_queries, variable_queries

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

APPS = Path(__file__).parent / "apps"
# Generous: the machine may be at load 10 and more. Each wait returns as soon as it holds.
DEADLINE = 45.0
SHORT_FOR = "3s"
EDGES = {
    ("orders", "payments"),
    ("orders", "postgres"),
    ("orders", "redis"),
    ("payments", "postgres"),
    ("payments", "redis"),
}


class FleetService(ManagedServer):
    """``tests/deploy/apps/fleet_service.py`` under uvicorn, configured by its environment."""

    name = "fleet-service"

    def __init__(self, service: str, env: dict[str, str]) -> None:
        super().__init__(
            startup_timeout=DEADLINE, env={**os.environ, "FLEET_SERVICE": service, **env}
        )
        self.service = service

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _command(self) -> Sequence[str]:
        return [
            *(sys.executable, "-m", "uvicorn", "fleet_service:app", "--app-dir", str(APPS)),
            *("--host", self.host, "--port", str(self.port), "--no-access-log"),
        ]

    def _is_ready(self) -> bool:
        return self.status("/readyz") == 200

    def status(self, path: str) -> int | None:
        try:
            return httpx.get(self.url + path, timeout=2).status_code
        except httpx.HTTPError:
            return None


@dataclass
class Fleet:
    redis: PrivateRedis
    payments: FleetService
    orders: FleetService
    prometheus: PrivatePrometheus


def short_rules(directory: Path) -> Path:
    """A copy of the rules where DependencyDown waits ``SHORT_FOR`` instead of a minute."""
    rules = yaml.safe_load(RULES.read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            if rule.get("alert") == "DependencyDown":
                rule["for"] = SHORT_FOR
    copy = directory / "dephealth-rules-short.yml"
    copy.write_text(yaml.safe_dump(rules, sort_keys=False))
    return copy


@pytest.fixture(scope="module")
def fleet(postgres_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    try:
        redis = PrivateRedis()
        env = {"FLEET_POSTGRES_DSN": postgres_dsn, "FLEET_REDIS_PORT": str(redis.port)}
        payments = FleetService("payments", env)
        orders = FleetService(
            "orders",
            {**env, "FLEET_CALLS": "payments", "FLEET_CALLS_URL": f"{payments.url}/readyz"},
        )
        prometheus = PrivatePrometheus(
            {
                "payments": [f"{payments.host}:{payments.port}"],
                "orders": [f"{orders.host}:{orders.port}"],
            },
            [short_rules(tmp_path_factory.mktemp("rules"))],
        )
    except ServerNotInstalled as exc:
        server_unavailable(str(exc))
    # payments is ready before orders checks it, so the fleet starts healthy
    servers: list[ManagedServer] = [redis, payments, orders, prometheus]
    try:
        for server in servers:
            server.start()
        yield Fleet(redis, payments, orders, prometheus)
    finally:
        for server in reversed(servers):
            server.close()


def edges(prometheus: PrivatePrometheus) -> dict[tuple[str, str], float]:
    return {
        (sample["metric"]["source"], sample["metric"]["target"]): float(sample["value"][1])
        for sample in prometheus.query("dephealth:topology_edge:health")
    }


def alert_evaluations(prometheus: PrivatePrometheus) -> str:
    (group,) = [g for g in prometheus.api("rules")["groups"] if g["name"] == "dephealth"]
    evaluated: str = group["lastEvaluation"]
    return evaluated


def test_recording_rules_give_the_edges(fleet: Fleet) -> None:
    """One topology edge per service -> dependency pair, all healthy; nodes for each name;
    and no alert of the rules is active on a healthy fleet."""
    prometheus = fleet.prometheus
    poll_until(
        lambda: edges(prometheus) == dict.fromkeys(EDGES, 1.0),
        DEADLINE,
        "the five edges, all healthy",
    )
    nodes = {
        sample["metric"]["id"]: float(sample["value"][1])
        for sample in prometheus.query("dephealth:topology_node:health")
    }
    assert nodes == {"orders": 1.0, "payments": 1.0, "postgres": 1.0, "redis": 1.0}
    # two evaluations of the alert group on healthy data, then nothing may be pending
    for _ in range(2):
        seen = alert_evaluations(prometheus)
        poll_until(
            lambda seen=seen: alert_evaluations(prometheus) != seen,
            DEADLINE,
            "an alert rule evaluation",
        )
    assert prometheus.alerts() == []


def test_every_dashboard_query_returns_data(fleet: Fleet) -> None:
    """Each panel query of the three dashboards, and each variable, has series on the fleet."""
    prometheus = fleet.prometheus
    poll_until(lambda: edges(prometheus) == dict.fromkeys(EDGES, 1.0), DEADLINE, "the edges")

    def has_data(query: Any) -> bool:
        expr = query.substituted()
        if query.instant:
            return bool(prometheus.query(expr))
        now = time.time()
        return bool(prometheus.query_range(expr, now - 30, now, 1))

    queries = list(panel_queries())
    assert len(queries) >= 20
    for query in queries:
        poll_until(lambda q=query: has_data(q), DEADLINE, f"data for {query}")
    for name, text in variable_queries():
        match = LABEL_VALUES.match(text)
        assert match is not None
        selector = match["match"].replace("$group", VARIABLE_VALUES["group"])
        values = prometheus.api(f"label/{match['label']}/values", **{"match[]": selector})
        assert VARIABLE_VALUES[name] in values, (name, values)


def down_alerts(prometheus: PrivatePrometheus) -> dict[tuple[str, str], dict[str, Any]]:
    """(service, dependency) -> each active DependencyDown alert."""
    return {
        (alert["labels"]["name"], alert["labels"]["dependency"]): alert
        for alert in prometheus.alerts()
        if alert["labels"]["alertname"] == "DependencyDown"
    }


def unix_time(rfc3339: str) -> float:
    """Prometheus' timestamps carry nanoseconds; datetime takes microseconds."""
    stamp = rfc3339.rstrip("Z")
    whole, _, fraction = stamp.partition(".")
    parsed = datetime.fromisoformat(f"{whole}.{(fraction or '0')[:6]}+00:00")
    return parsed.timestamp()


def test_redis_outage_walks_the_down_alert_through_pending_firing_resolved(
    fleet: Fleet,
) -> None:
    """Stopping the private Redis: DependencyDown pending, then firing, for both services'
    redis edge; Redis back: the alerts resolve. Prints the timeline."""
    prometheus = fleet.prometheus
    redis_edges = {("orders", "redis"), ("payments", "redis")}
    poll_until(lambda: edges(prometheus) == dict.fromkeys(EDGES, 1.0), DEADLINE, "a healthy fleet")
    assert down_alerts(prometheus) == {}
    timeline: dict[str, float] = {}

    def reached(state: str) -> bool:
        alerts = down_alerts(prometheus)
        now = time.monotonic() - outage
        for (service, dependency), alert in alerts.items():
            edge = f"{service}->{dependency}"
            # activeAt: when the alert went pending, by Prometheus' clock
            timeline.setdefault(f"{edge} pending", unix_time(alert["activeAt"]) - outage_wall)
            if alert["state"] == "pending":
                timeline.setdefault(f"{edge} pending, seen", now)
            else:
                timeline.setdefault(f"{edge} firing, seen", now)
        return all(alerts.get(edge, {}).get("state") == state for edge in redis_edges)

    outage, outage_wall = time.monotonic(), time.time()
    fleet.redis.stop()
    poll_until(lambda: reached("firing"), DEADLINE, "DependencyDown firing for both redis edges")
    for service, _ in redis_edges:
        # the alert is about this outage, and went pending before it fired
        assert (
            0 <= timeline[f"{service}->redis pending"] < timeline[f"{service}->redis firing, seen"]
        )
    assert edges(prometheus)[("orders", "redis")] == 0.0

    timeline["redis back"] = time.monotonic() - outage
    fleet.redis.start()
    poll_until(
        lambda: not set(down_alerts(prometheus)) & redis_edges,
        DEADLINE,
        "the redis alerts resolved",
    )
    timeline["redis alerts resolved, seen"] = time.monotonic() - outage
    poll_until(lambda: down_alerts(prometheus) == {}, DEADLINE, "every DependencyDown resolved")
    timeline["every alert resolved, seen"] = time.monotonic() - outage
    poll_until(
        lambda: edges(prometheus) == dict.fromkeys(EDGES, 1.0), DEADLINE, "a healthy fleet again"
    )

    print(f"\nRedis outage timeline (seconds from the stop; DependencyDown for: {SHORT_FOR}):")
    for event, seconds in sorted(timeline.items(), key=lambda item: item[1]):
        print(f"  {seconds:6.2f}  {event}")
    resolved = timeline["redis alerts resolved, seen"] - timeline["redis back"]
    print(f"  redis alerts resolved {resolved:.2f} s after Redis came back")
