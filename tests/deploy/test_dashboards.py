"""The Grafana dashboards of deploy/grafana, read without Grafana: shape and queries."""

from __future__ import annotations

import re
import subprocess
import sys

import yaml

from .conftest import DASHBOARDS, DEPLOY, RULES
from .dashboards import (
    LABEL_VALUES,
    VARIABLE,
    VARIABLE_VALUES,
    load,
    panel_queries,
    variable_queries,
)

EXPORTED = {
    "app_dependency_health",
    "app_dependency_latency_seconds_bucket",
    "app_dependency_latency_seconds_count",
    "app_dependency_status",
    "app_dependency_status_detail",
    "dephealth_pool_connections",
    "dephealth_last_success_timestamp_seconds",
    "dephealth_transitions_total",
    "ALERTS",
}
KEYWORDS = {"or", "and", "unless", "by", "without", "on", "ignoring", "bool"}
STRINGS = re.compile(r'"[^"]*"')
MATCHERS = re.compile(r"\{[^}]*\}")
GROUPINGS = re.compile(r"\b(?:by|without|on|ignoring)\s*\([^)]*\)")
IDENTIFIER = re.compile(r"(?<![\w$])([a-zA-Z_:][\w:]*)(?![\w:]|\s*\()")


def series_names(expr: str) -> set[str]:
    """The metric names an expression selects (not functions, keywords or label names)."""
    bare = GROUPINGS.sub("", MATCHERS.sub("", STRINGS.sub("", expr)))
    bare = re.sub(r"\[[^\]]*\]", "", bare)
    return {name for name in IDENTIFIER.findall(bare) if name not in KEYWORDS}


def recorded() -> set[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {rule["record"] for group in groups for rule in group["rules"] if "record" in rule}


def test_dashboards_are_built_from_their_declaration() -> None:
    """The JSON files are what deploy/grafana/build_dashboards.py writes."""
    script = DEPLOY / "grafana" / "build_dashboards.py"
    result = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_three_dashboards_with_unique_uids_and_panels() -> None:
    """Fleet, service and dependency dashboards; ids unique, panels inside the 24-column grid."""
    uids = [load(path)["uid"] for path in DASHBOARDS]
    assert sorted(uids) == ["dephealth-dependency", "dephealth-fleet", "dephealth-service"]
    for path in DASHBOARDS:
        panels = load(path)["panels"]
        assert len({panel["id"] for panel in panels}) == len(panels)
        for panel in panels:
            assert panel["targets"], panel["title"]
            assert panel["datasource"]["uid"] == "${datasource}"
            grid = panel["gridPos"]
            assert grid["x"] + grid["w"] <= 24, panel["title"]


def test_fleet_dashboard_draws_the_topology_as_a_node_graph() -> None:
    """A node graph panel fed by the node and edge recording rules."""
    fleet = load(DEPLOY / "grafana" / "dephealth-fleet.json")
    (graph,) = [panel for panel in fleet["panels"] if panel["type"] == "nodeGraph"]
    exprs = [target["expr"] for target in graph["targets"]]
    assert exprs[0] == "dephealth:topology_node:health"
    assert exprs[1].startswith("dephealth:topology_edge:health")


def test_queries_use_only_exported_and_recorded_series_and_known_variables() -> None:
    """A typo in a metric name or a variable would leave a panel empty."""
    known = EXPORTED | recorded()
    for query in panel_queries():
        names = series_names(query.expr)
        assert names, str(query)
        assert names <= known, (str(query), names - known)
        for variable in VARIABLE.findall(query.expr):
            assert variable in VARIABLE_VALUES, str(query)
    for name, query_text in variable_queries():
        assert LABEL_VALUES.match(query_text), (name, query_text)
