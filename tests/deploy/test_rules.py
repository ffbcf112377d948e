"""The Prometheus rules of deploy/prometheus: valid, unit-tested, every alert routable."""

from __future__ import annotations

import subprocess
from typing import Any

import yaml

from .conftest import RULE_TESTS, RULES


def run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def test_promtool_check_rules(promtool: str) -> None:
    """promtool accepts the rule file and lints it clean."""
    result = run(promtool, "check", "rules", str(RULES))
    print(result.stdout, result.stderr)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_unit_tests_pass(promtool: str) -> None:
    """The promtool unit tests of the rules pass."""
    result = run(promtool, "test", "rules", str(RULE_TESTS))
    print(result.stdout, result.stderr)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_is_tested_firing_and_silent() -> None:
    """Each alert has a unit test where it fires and one where it stays silent."""
    fired: set[str] = set()
    silent: set[str] = set()
    for case in yaml.safe_load(RULE_TESTS.read_text())["tests"]:
        for check in case.get("alert_rule_test", []):
            (fired if check["exp_alerts"] else silent).add(check["alertname"])
    names = {rule["alert"] for rule in alert_rules()}
    assert names - fired == set(), "never tested firing"
    assert names - silent == set(), "never tested silent"
    assert (fired | silent) - names == set(), "tests of alerts that do not exist"


def test_every_alert_carries_routing_labels_and_a_summary() -> None:
    """severity on every alert; the service label on those about one service's dependency."""
    for rule in alert_rules():
        labels = rule["labels"]
        assert labels["severity"] in ("critical", "warning", "info"), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert rule["annotations"]["description"], rule["alert"]
        if "$labels.dependency" in rule["annotations"]["summary"]:
            assert labels["service"] == "{{ $labels.name }}", rule["alert"]
