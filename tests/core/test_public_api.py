"""The public surface is curated: __all__ of every public module of the core is pinned whole."""

from __future__ import annotations

import dephealth_core
import dephealth_core.check_round
import dephealth_core.testing
import dephealth_core.typing

CORE = [
    "STATUS_CATEGORIES",
    "AuthError",
    "BackgroundRunner",
    "CheckError",
    "CheckSettings",
    "CheckTimeout",
    "Checker",
    "ConfigError",
    "ConnectionRefused",
    "DepHealthError",
    "Dependency",
    "DependencyHealth",
    "DependencyMetrics",
    "DnsError",
    "Duration",
    "Endpoint",
    "EndpointStatus",
    "HealthViews",
    "HostUnreachable",
    "Kind",
    "LatencyHistogram",
    "NetworkUnreachable",
    "ParsedURL",
    "PoolExhausted",
    "PoolStats",
    "ProcessChecks",
    "QueryError",
    "Response",
    "ShowDetails",
    "Snapshot",
    "StateChange",
    "StateError",
    "Target",
    "TlsError",
    "Unhealthy",
    "ViewOptions",
    "__version__",
    "amqp_check",
    "check_bool",
    "check_host",
    "check_port",
    "classify",
    "grpc_check",
    "http_check",
    "kafka_check",
    "ldap_check",
    "mysql_check",
    "parse_dependency_url",
    "postgres_check",
    "read_flat_config",
    "redis_check",
    "register_after_fork",
    "render_unknown_dependencies",
    "status_of",
    "tcp_check",
]
CHECK_ROUND = [
    "TABLE_HEADERS",
    "RoundVerdict",
    "details_json",
    "render_table",
    "round_verdict",
]
TYPING = [
    "BackgroundService",
    "Checker",
    "CommonOptions",
    "Duration",
    "EndpointStatus",
    "Listener",
    "ShowDetails",
    "Snapshot",
    "SnapshotSource",
    "StateChange",
]
TESTING = ["ManualChecker", "VirtualTimeLoop", "manual_check", "run_virtual"]


def test_all_of_dephealth_core_is_pinned() -> None:
    """dephealth_core exports exactly these names, sorted (constants first), all defined."""
    assert dephealth_core.__all__ == CORE
    assert sorted(CORE, key=lambda n: (not n.isupper(), n)) == CORE
    for name in CORE:
        assert hasattr(dephealth_core, name), name


def test_all_of_typing_and_testing_is_pinned() -> None:
    """dephealth_core.typing and dephealth_core.testing export exactly these names."""
    assert dephealth_core.typing.__all__ == TYPING
    assert dephealth_core.testing.__all__ == TESTING
    for module, names in ((dephealth_core.typing, TYPING), (dephealth_core.testing, TESTING)):
        for name in names:
            assert hasattr(module, name), name


def test_the_engine_is_a_snapshot_source_and_a_background_service() -> None:
    """Readers and the background runner can take a DependencyHealth through the protocols."""
    dh = dephealth_core.DependencyHealth("svc", "team", metrics=False, environ={})
    assert isinstance(dh, dephealth_core.typing.SnapshotSource)
    assert isinstance(dh, dephealth_core.typing.BackgroundService)


def test_check_round_all_is_pinned() -> None:
    """The one-round table module exports exactly what the CLI and Django's command use."""
    assert dephealth_core.check_round.__all__ == CHECK_ROUND
