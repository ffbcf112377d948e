"""Reading the Grafana dashboards of deploy/grafana: their panels, queries and variables."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .conftest import DASHBOARDS

# What the tests substitute for Grafana's variables: the fleet the end-to-end test runs.
VARIABLE_VALUES = {
    "group": "shop",
    "service": "orders",
    "dependency": "redis",
    "__rate_interval": "30s",
    "__range": "1m",
}
VARIABLE = re.compile(r"\$\{?(\w+)\}?")


@dataclass(frozen=True)
class Query:
    dashboard: str
    panel: str
    expr: str
    instant: bool

    def substituted(self) -> str:
        return VARIABLE.sub(lambda match: VARIABLE_VALUES[match.group(1)], self.expr)

    def __str__(self) -> str:
        return f"{self.dashboard} / {self.panel}: {self.expr}"


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def panel_queries() -> Iterator[Query]:
    for path in DASHBOARDS:
        dashboard = load(path)
        for panel in dashboard["panels"]:
            for target in panel["targets"]:
                yield Query(dashboard["title"], panel["title"], target["expr"], target["instant"])


def variable_queries() -> Iterator[tuple[str, str]]:
    """``(variable, query)`` of every query variable, e.g. ``label_values(metric, label)``."""
    for path in DASHBOARDS:
        for variable in load(path)["templating"]["list"]:
            if variable["type"] == "query":
                yield variable["name"], variable["query"]["query"]


LABEL_VALUES = re.compile(r"label_values\((?P<match>.+), (?P<label>\w+)\)$")
