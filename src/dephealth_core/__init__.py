"""dephealth_core: background dependency checks, dephealth metrics and health views.

No web framework is imported here; the adapters (``dephealth_starlette``, ``dephealth_flask``,
``dephealth_django``) build on this package.
"""

from __future__ import annotations

from .__about__ import __version__
from ._background import BackgroundRunner
from ._classify import classify
from ._config import read_flat_config
from ._dependency import Checker, Dependency, Endpoint, Kind, Target
from ._dephealth_checkers import (
    AMQPChecker,
    GRPCChecker,
    HTTPChecker,
    KafkaChecker,
    LdapChecker,
    LdapCheckMethod,
    LdapSearchScope,
    MySQLChecker,
    PostgresChecker,
    RedisChecker,
    TCPChecker,
)
from ._dephealth_parsing import ParsedConnection, parse_jdbc, parse_params, parse_url
from ._dephealth_types import (
    ALL_STATUS_CATEGORIES,
    LABEL_NAME_PATTERN,
    RESERVED_LABELS,
    STATUS_AUTH_ERROR,
    STATUS_CONNECTION_ERROR,
    STATUS_DNS_ERROR,
    STATUS_ERROR,
    STATUS_OK,
    STATUS_TIMEOUT,
    STATUS_TLS_ERROR,
    STATUS_UNHEALTHY,
    STATUS_UNKNOWN,
    CheckConfig,
    CheckResult,
    DependencyType,
    HealthChecker,
    bool_to_yes_no,
    classify_error,
    default_check_config,
    validate_label_name,
    validate_labels,
)
from ._engine import DependencyHealth
from ._exceptions import (
    AuthError,
    CheckAuthError,
    CheckConnectionRefusedError,
    CheckDnsError,
    CheckError,
    CheckTimeout,
    CheckTimeoutError,
    CheckTlsError,
    ConfigError,
    ConnectionRefused,
    DepHealthError,
    DnsError,
    EndpointNotFoundError,
    HostUnreachable,
    NetworkUnreachable,
    PoolExhausted,
    QueryError,
    StateError,
    TlsError,
    Unhealthy,
    UnhealthyError,
)
from ._fork import register_after_fork
from ._hosts import check_host, check_port
from ._metrics import DependencyMetrics
from ._process_checks import ProcessChecks
from ._recorder import StateChange
from ._route_conflicts import views_the_app_answers
from ._settings import CheckSettings
from ._snapshot import EndpointStatus, LatencyHistogram, PoolStats, Snapshot
from ._status import STATUS_CATEGORIES, status_of
from ._urls import ParsedURL, parse_dependency_url
from ._validation import Duration, check_bool
from ._view_options import ViewOptions
from ._views import HealthViews, Response, ShowDetails, render_unknown_dependencies
from .checks._amqp import amqp_check
from .checks._custom import custom_check
from .checks._grpc import grpc_check
from .checks._http import http_check
from .checks._kafka import kafka_check
from .checks._ldap import ldap_check
from .checks._mysql import mysql_check
from .checks._postgres import postgres_check
from .checks._redis import redis_check
from .checks._tcp import tcp_check

__all__ = [
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
