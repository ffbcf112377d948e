"""Writes the three Grafana dashboards of deploy/grafana from the panel lists below.

    python deploy/grafana/build_dashboards.py          # rewrite the JSON files
    python deploy/grafana/build_dashboards.py --check  # exit 1 if a file differs

The JSON files are what users import; this script is where they are declared, so every panel
has the same shape and the tests can hold each query against a real Prometheus.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
Panel = dict[str, Any]


def target(expr: str, ref: str = "A", *, legend: str = "", table: bool = False) -> dict[str, Any]:
    """A Prometheus query: a range query for graphs, an instant table for tables and graphs."""
    return {
        "datasource": DATASOURCE,
        "refId": ref,
        "expr": expr,
        "legendFormat": legend,
        "format": "table" if table else "time_series",
        "instant": table,
        "range": not table,
    }


def panel(
    kind: str,
    title: str,
    description: str,
    targets: list[dict[str, Any]],
    width: int,
    height: int = 8,
    **extra: Any,
) -> Panel:
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "targets": targets,
        "gridPos": {"w": width, "h": height},
        "fieldConfig": extra.pop("field_config", {"defaults": {}, "overrides": []}),
        "options": extra.pop("options", {}),
        **extra,
    }


def health_config(unit: str = "percentunit") -> dict[str, Any]:
    """Red at 0, orange in between, green at 1 (the edge health ratio)."""
    return {
        "defaults": {
            "unit": unit,
            "min": 0,
            "max": 1,
            "thresholds": {
                "mode": "absolute",
                "steps": [
                    {"color": "red", "value": None},
                    {"color": "orange", "value": 0.01},
                    {"color": "green", "value": 1},
                ],
            },
            "color": {"mode": "thresholds"},
        },
        "overrides": [],
    }


def stat(title: str, description: str, expr: str, *, bad_above: float | None = None) -> Panel:
    steps: list[dict[str, Any]] = [{"color": "green", "value": None}]
    if bad_above is not None:
        steps.append({"color": "red", "value": bad_above})
    config = {
        "defaults": {
            "thresholds": {"mode": "absolute", "steps": steps},
            "color": {"mode": "thresholds"},
        },
        "overrides": [],
    }
    return panel(
        "stat",
        title,
        description,
        [target(expr, table=False)],
        6,
        4,
        field_config=config,
        options={"reduceOptions": {"calcs": ["lastNotNull"]}, "colorMode": "background"},
    )


def table(
    title: str,
    description: str,
    expr: str,
    width: int = 24,
    *,
    hide: tuple[str, ...] = (),
    value: str = "Value",
    field_config: dict[str, Any] | None = None,
) -> Panel:
    excluded = dict.fromkeys(("Time", "__name__", *hide), True)
    return panel(
        "table",
        title,
        description,
        [target(expr, table=True)],
        width,
        8,
        field_config=field_config or {"defaults": {}, "overrides": []},
        transformations=[
            {
                "id": "organize",
                "options": {"excludeByName": excluded, "renameByName": {"Value": value}},
            }
        ],
    )


def graph(
    title: str,
    description: str,
    expr: str,
    legend: str,
    width: int = 12,
    *,
    unit: str = "short",
    field_config: dict[str, Any] | None = None,
) -> Panel:
    config = field_config or {"defaults": {"unit": unit}, "overrides": []}
    return panel(
        "timeseries", title, description, [target(expr, legend=legend)], width, field_config=config
    )


def variable(name: str, label: str, query: str, *, include_all: bool) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DATASOURCE,
        "query": {"query": query, "refId": f"{name}-variable"},
        "definition": query,
        "refresh": 2,
        "sort": 1,
        "includeAll": include_all,
        "multi": include_all,
        "allValue": ".*" if include_all else None,
        "current": {},
    }


DATASOURCE_VARIABLE = {
    "name": "datasource",
    "label": "Prometheus",
    "type": "datasource",
    "query": "prometheus",
    "current": {},
}
GROUP = variable("group", "Group", "label_values(app_dependency_health, group)", include_all=True)


def dashboard(
    uid: str, title: str, description: str, variables: list[dict[str, Any]], panels: list[Panel]
) -> dict[str, Any]:
    x = y = row_height = 0
    for number, item in enumerate(panels, start=1):
        width, height = item["gridPos"]["w"], item["gridPos"]["h"]
        if x + width > 24:
            x, y = 0, y + row_height
            row_height = 0
        item["id"] = number
        item["gridPos"] = {"x": x, "y": y, "w": width, "h": height}
        x += width
        row_height = max(row_height, height)
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["dephealth"],
        "editable": True,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-1h", "to": "now"},
        "timezone": "",
        "links": [
            {
                "type": "dashboards",
                "tags": ["dephealth"],
                "asDropdown": True,
                "title": "dephealth",
                "includeVars": True,
                "keepTime": True,
            }
        ],
        "templating": {"list": [DATASOURCE_VARIABLE, *variables]},
        "annotations": {"list": []},
        "panels": panels,
    }


def fleet() -> dict[str, Any]:
    edges = 'dephealth:edge_health:avg{group=~"$group"}'
    topology = panel(
        "nodeGraph",
        "Topology",
        "Services and their dependencies; an arrow is a service -> dependency edge, its "
        "figure the share of its endpoints (over the service's replicas) that pass their checks.",
        [
            target("dephealth:topology_node:health", "A", table=True),
            target('dephealth:topology_edge:health{group=~"$group"}', "B", table=True),
        ],
        24,
        12,
        transformations=[
            {
                "id": "organize",
                "options": {
                    "excludeByName": {"Time": True, "__name__": True},
                    "renameByName": {"Value #A": "mainstat", "Value #B": "mainstat"},
                },
            }
        ],
        field_config={"defaults": {"unit": "percentunit"}, "overrides": []},
    )
    return dashboard(
        "dephealth-fleet",
        "Dependencies: fleet overview",
        "Every service that exports the dephealth metrics, what it depends on, and what is down.",
        [GROUP],
        [
            stat(
                "Services",
                "Services exporting app_dependency_health.",
                'count(count by (group, name) (app_dependency_health{group=~"$group"}))',
            ),
            stat(
                "Edges down",
                "Service -> dependency edges with every endpoint down.",
                f"count({edges} == 0) or vector(0)",
                bad_above=1,
            ),
            stat(
                "Edges degraded",
                "Edges with some endpoints down.",
                f"count({edges} > 0 < 1) or vector(0)",
                bad_above=1,
            ),
            stat(
                "Dependency alerts firing",
                "Alerts of deploy/prometheus/dephealth-rules.yml.",
                'count(ALERTS{alertstate="firing", alertname=~"Dependency.*|Dephealth.*"}) '
                "or vector(0)",
                bad_above=1,
            ),
            topology,
            table(
                "Edges",
                "One row per service -> dependency edge: its health ratio.",
                edges,
                12,
                value="health",
                field_config=health_config(),
            ),
            table(
                "Last check result",
                "Every endpoint and the detail of its last check.",
                'app_dependency_status_detail{group=~"$group"}',
                12,
                hide=("Value",),
            ),
            graph(
                "Edge health",
                "Health ratio of each edge over time.",
                edges,
                "{{name}} -> {{dependency}}",
                24,
                field_config=health_config(),
            ),
        ],
    )


def service() -> dict[str, Any]:
    where = 'name="$service"'
    return dashboard(
        "dephealth-service",
        "Dependencies: one service",
        "The dependencies of one service: health, reasons, latency, pools and check freshness.",
        [
            GROUP,
            variable(
                "service",
                "Service",
                'label_values(app_dependency_health{group=~"$group"}, name)',
                include_all=False,
            ),
        ],
        [
            table(
                "Dependencies",
                "Each dependency of the service and its health ratio.",
                f"dephealth:edge_health:avg{{{where}}}",
                12,
                value="health",
                field_config=health_config(),
            ),
            table(
                "Endpoints",
                "Each endpoint (and replica) and the detail of its last check.",
                f"app_dependency_status_detail{{{where}}}",
                12,
                hide=("Value",),
            ),
            graph(
                "Endpoint health",
                "1 healthy, 0 down, per endpoint and replica.",
                f"app_dependency_health{{{where}}}",
                "{{dependency}} {{host}}:{{port}} {{instance}}",
            ),
            graph(
                "Status category",
                "The category of the last check of each endpoint.",
                f"app_dependency_status{{{where}}} == 1",
                "{{dependency}}: {{status}}",
            ),
            graph(
                "Check latency p99",
                "99th percentile over 5 minutes (recording rule).",
                f"dephealth:edge_latency_seconds:p99_5m{{{where}}}",
                "{{dependency}}",
                unit="s",
            ),
            graph(
                "Check latency p50",
                "Median check latency.",
                "histogram_quantile(0.5, sum by (dependency, le) (rate("
                f"app_dependency_latency_seconds_bucket{{{where}}}[$__rate_interval])))",
                "{{dependency}}",
                unit="s",
            ),
            graph(
                "Pool connections",
                "Pool-mode checks: connections of the app's own pool.",
                f"dephealth_pool_connections{{{where}}}",
                "{{dependency}} {{state}} {{instance}}",
            ),
            graph(
                "Since the last successful check",
                "Seconds; grows while a dependency is down, or while its checker has stalled.",
                f"time() - dephealth_last_success_timestamp_seconds{{{where}}}",
                "{{dependency}} {{host}}:{{port}}",
                unit="s",
            ),
            graph(
                "Health changes",
                "Health transitions in the dashboard's time range.",
                f"sum by (dependency) (increase(dephealth_transitions_total{{{where}}}[$__range]))",
                "{{dependency}}",
                24,
            ),
        ],
    )


def dependency() -> dict[str, Any]:
    where = 'dependency="$dependency"'
    return dashboard(
        "dephealth-dependency",
        "Dependencies: one dependency",
        "One dependency as all its callers see it: who depends on it, health, latency, load.",
        [
            GROUP,
            variable(
                "dependency",
                "Dependency",
                'label_values(app_dependency_health{group=~"$group"}, dependency)',
                include_all=False,
            ),
        ],
        [
            table(
                "Callers",
                "Services that depend on it and how healthy they see it.",
                f"dephealth:edge_health:avg{{{where}}}",
                12,
                value="health",
                field_config=health_config(),
            ),
            table(
                "Endpoints",
                "Each endpoint, seen by each caller replica, with its last detail.",
                f"app_dependency_status_detail{{{where}}}",
                12,
                hide=("Value",),
            ),
            graph(
                "Health per caller",
                "Edge health ratio per calling service.",
                f"dephealth:edge_health:avg{{{where}}}",
                "{{name}}",
                field_config=health_config(),
            ),
            graph(
                "Check latency p99 per caller",
                "99th percentile over 5 minutes.",
                f"dephealth:edge_latency_seconds:p99_5m{{{where}}}",
                "{{name}}",
                unit="s",
            ),
            graph(
                "Checks per second",
                "The health check load the dependency receives.",
                "sum by (name) (rate(app_dependency_latency_seconds_count"
                f"{{{where}}}[$__rate_interval]))",
                "{{name}}",
                unit="reqps",
            ),
            graph(
                "Failed checks by category",
                "Endpoints whose last check failed, by category.",
                f'count by (status) (app_dependency_status{{{where}, status!="ok"}} == 1) '
                "or vector(0)",
                "{{status}}",
            ),
        ],
    )


DASHBOARDS = {
    "dephealth-fleet.json": fleet,
    "dephealth-service.json": service,
    "dephealth-dependency.json": dependency,
}


def render(build: Any) -> str:
    return json.dumps(build(), indent=2) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    stale = []
    for filename, build in DASHBOARDS.items():
        path = HERE / filename
        text = render(build)
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(filename)
        else:
            path.write_text(text)
    if stale:
        print("out of date, run deploy/grafana/build_dashboards.py:", *stale, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
