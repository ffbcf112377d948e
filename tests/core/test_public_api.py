"""The public surface is curated: __all__ of every public module of the core is pinned whole."""

from __future__ import annotations

import dephealth_core
import dephealth_core.check_round
import dephealth_core.testing
import dephealth_core.typing

CORE = [
    "ALL_STATUS_CATEGORIES",
    "LABEL_NAME_PATTERN",
    "RESERVED_LABELS",
    "STATUS_AUTH_ERROR",
    "STATUS_CATEGORIES",
    "STATUS_CONNECTION_ERROR",
    "STATUS_DNS_ERROR",
    "STATUS_ERROR",
    "STATUS_OK",
    "STATUS_TIMEOUT",
    "STATUS_TLS_ERROR",
    "STATUS_UNHEALTHY",
    "STATUS_UNKNOWN",
    "AMQPChecker",
    "AuthError",
    "BackgroundRunner",
    "CheckAuthError",
    "CheckConfig",
    "CheckConnectionRefusedError",
    "CheckDnsError",
    "CheckError",
    "CheckResult",
    "CheckSettings",
    "CheckTimeout",
    "CheckTimeoutError",
    "CheckTlsError",
    "Checker",
    "ConfigError",
    "ConnectionRefused",
    "DepHealthError",
    "Dependency",
    "DependencyHealth",
    "DependencyMetrics",
    "DependencyType",
    "DnsError",
    "Duration",
    "Endpoint",
    "EndpointNotFoundError",
    "EndpointStatus",
    "GRPCChecker",
    "HTTPChecker",
    "HealthChecker",
    "HealthViews",
    "HostUnreachable",
    "KafkaChecker",
    "Kind",
    "LatencyHistogram",
    "LdapCheckMethod",
    "LdapChecker",
    "LdapSearchScope",
    "MySQLChecker",
    "NetworkUnreachable",
    "ParsedConnection",
    "ParsedURL",
    "PoolExhausted",
    "PoolStats",
    "PostgresChecker",
    "ProcessChecks",
    "QueryError",
    "RedisChecker",
    "Response",
    "ShowDetails",
    "Snapshot",
    "StateChange",
    "StateError",
    "TCPChecker",
    "Target",
    "TlsError",
    "Unhealthy",
    "UnhealthyError",
    "ViewOptions",
    "__version__",
    "amqp_check",
    "bool_to_yes_no",
    "check_bool",
    "check_host",
    "check_port",
    "classify",
    "classify_error",
    "custom_check",
    "default_check_config",
    "grpc_check",
    "http_check",
    "kafka_check",
    "ldap_check",
    "mysql_check",
    "parse_dependency_url",
    "parse_jdbc",
    "parse_params",
    "parse_url",
    "postgres_check",
    "read_flat_config",
    "redis_check",
    "register_after_fork",
    "render_unknown_dependencies",
    "status_of",
    "tcp_check",
    "validate_label_name",
    "validate_labels",
    "views_the_app_answers",
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
    "EngineSettings",
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
