"""Fixtures of the deploy/ tests: where deploy/ is, and promtool."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import server_unavailable
from tests.support.prometheus import promtool as find_promtool
from tests.support.servers import ServerNotInstalled

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
RULES = DEPLOY / "prometheus" / "dephealth-rules.yml"
RULE_TESTS = DEPLOY / "prometheus" / "tests" / "dephealth-rules.test.yml"
DASHBOARDS = sorted((DEPLOY / "grafana").glob("*.json"))


@pytest.fixture(scope="session")
def promtool() -> str:
    """Path of promtool (Debian package prometheus, installed by scripts/servers)."""
    try:
        return find_promtool()
    except ServerNotInstalled as exc:
        server_unavailable(str(exc))
