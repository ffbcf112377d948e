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
from ._engine import DependencyHealth
from ._exceptions import (
    AuthError,
    CheckError,
    CheckTimeout,
    ConfigError,
    ConnectionRefused,
    DepHealthError,
    DnsError,
    HostUnreachable,
    NetworkUnreachable,
    PoolExhausted,
    QueryError,
    StateError,
    TlsError,
    Unhealthy,
)
from ._fork import register_after_fork
from ._hosts import check_host, check_port
from ._metrics import DependencyMetrics
from ._process_checks import ProcessChecks
from ._recorder import StateChange
from ._settings import CheckSettings
from ._snapshot import EndpointStatus, LatencyHistogram, PoolStats, Snapshot
from ._status import STATUS_CATEGORIES, status_of
from ._urls import ParsedURL, parse_dependency_url
from ._validation import Duration, check_bool
from ._view_options import ViewOptions
from ._views import HealthViews, Response, ShowDetails, render_unknown_dependencies
from .checks._amqp import amqp_check
from .checks._grpc import grpc_check
from .checks._http import http_check
from .checks._kafka import kafka_check
from .checks._ldap import ldap_check
from .checks._mysql import mysql_check
from .checks._postgres import postgres_check
from .checks._redis import redis_check
from .checks._tcp import tcp_check

__all__ = [
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
