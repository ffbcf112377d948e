"""ProcessChecks: the engine and views of a sync app, started once per process."""

from __future__ import annotations

import logging

import pytest
from prometheus_client import CollectorRegistry

from dephealth_core import ConfigError, DependencyHealth, ProcessChecks

from .fakes import ScriptedChecker, fake_dependency


def engine(registry: CollectorRegistry) -> DependencyHealth:
    dependency = fake_dependency("db", ScriptedChecker())
    return DependencyHealth("svc", "team", dependency, registry=registry, environ={})


def test_bad_view_options_free_the_registry() -> None:
    """When the views refuse their options, the engine's metrics leave the registry."""
    registry = CollectorRegistry()
    with pytest.raises(ConfigError) as caught:
        ProcessChecks.build(engine(registry), {"show_details": "token"})
    assert caught.value.field == "details_token"
    # The registry is free again: a second engine can register there.
    checks = ProcessChecks.build(engine(registry), {"metrics": "yes"})
    assert "metrics" in checks.views.paths


def test_checks_start_once_per_process() -> None:
    """start() runs the checks in the background once; later calls do nothing."""
    checks = ProcessChecks.build(engine(CollectorRegistry()), {})
    assert not checks.started and not checks.attempted
    try:
        checks.start()
        assert checks.started and checks.engine.running
        checks.start()
        assert checks.start_safely() is True
    finally:
        checks.stop()
    assert not checks.started and not checks.engine.running


def test_marking_started_without_running_the_checks() -> None:
    """run_checks=False (an app that starts them itself) marks the process started only."""
    checks = ProcessChecks.build(engine(CollectorRegistry()), {})
    checks.start(run_checks=False)
    assert checks.started and not checks.engine.running


def test_a_failed_start_is_logged_once_and_not_retried(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """start_safely logs a failure instead of raising, and does not try again in this process."""
    checks = ProcessChecks.build(engine(CollectorRegistry()), {})
    calls: list[int] = []

    def refuse() -> None:
        calls.append(1)
        raise RuntimeError("no threads")

    monkeypatch.setattr(checks.engine, "start_background", refuse)
    with caplog.at_level(logging.ERROR, logger="dephealth"):
        assert checks.start_safely() is False
        assert checks.start_safely() is False
    assert calls == [1]
    assert checks.attempted and not checks.started
    assert [r.getMessage() for r in caplog.records if "could not start" in r.getMessage()] == [
        "dephealth: could not start the checks name=svc error=RuntimeError: "
    ]
