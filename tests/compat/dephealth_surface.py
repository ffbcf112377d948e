"""The public surface of the dephealth Python SDK 0.8.2, kept as data.

Read once from the SDK's sources (BigKAA/topologymetrics, tag ``sdk-python/v0.8.2``) with
``inspect``: every name of ``dephealth.__all__``, the names users import from ``dephealth.api``
(the factories, ``DependencyHealth`` and what its docs import from there), the checker classes of
``dephealth.checks`` that ``docs/api-reference.md`` documents and its dynamic-endpoints example
constructs, and ``dephealth_fastapi.__all__``. ``dephealth_lifespan`` takes ``**kwargs`` in the
SDK; its documented keywords (``docs/fastapi.md``) are listed instead.

Internals that happen to be importable from ``dephealth.api`` (``CheckScheduler``,
``MetricsExporter``, the ``logger`` object, re-exported ``timedelta``/``Any``/``CollectorRegistry``)
are not part of the list.

A parameter is ``P(name, kind, required)``: kind ``"pos"`` (positional or keyword), ``"kw"``
(keyword only), ``"*"`` or ``"**"``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class P:
    """One parameter of a dephealth callable."""

    name: str
    kind: str
    required: bool = False


@dataclass(frozen=True)
class Func:
    """A function or method: its parameters (without ``self``) and whether it is a coroutine."""

    params: tuple[P, ...]
    is_async: bool = False


@dataclass(frozen=True)
class Class:
    """A class: constructor parameters, dephealth base classes, properties, fields, methods."""

    init: tuple[P, ...]
    bases: tuple[str, ...] = ()
    properties: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    methods: dict[str, Func] = field(default_factory=dict)


@dataclass(frozen=True)
class Enum:
    """An enum: member name -> value."""

    members: dict[str, str]


@dataclass(frozen=True)
class Value:
    """A constant."""

    value: Any


@dataclass(frozen=True)
class Router:
    """A FastAPI router: the (method, path) pairs it serves."""

    routes: tuple[tuple[str, str], ...]


Entry = Func | Class | Enum | Value | Router

# Where each dephealth module's names live in ours ("only the imports change").
MODULE_MAP: dict[str, str] = {
    "dephealth": "dephealth_core",
    "dephealth.api": "dephealth_core",
    "dephealth.checks": "dephealth_core",
    "dephealth_fastapi": "dephealth_starlette",
}

SURFACE: dict[str, dict[str, Entry]] = {
    "dephealth": {
        "ALL_STATUS_CATEGORIES": Value(
            (
                "ok",
                "timeout",
                "connection_error",
                "dns_error",
                "auth_error",
                "tls_error",
                "unhealthy",
                "error",
            )
        ),
        "CheckAuthError": Class(init=(P("args", "*"),), bases=("CheckError",)),
        "CheckConfig": Class(
            init=(
                P("interval", "pos"),
                P("timeout", "pos"),
                P("initial_delay", "pos"),
                P("failure_threshold", "pos"),
                P("success_threshold", "pos"),
            ),
            fields=(
                "interval",
                "timeout",
                "initial_delay",
                "failure_threshold",
                "success_threshold",
            ),
            methods={"validate": Func(())},
        ),
        "CheckConnectionRefusedError": Class(init=(P("args", "*"),), bases=("CheckError",)),
        "CheckDnsError": Class(init=(P("args", "*"),), bases=("CheckError",)),
        "CheckError": Class(
            init=(P("args", "*"), P("status_category", "kw"), P("status_detail", "kw")),
            properties=("status_category", "status_detail"),
        ),
        "CheckResult": Class(
            init=(P("category", "pos", required=True), P("detail", "pos", required=True)),
            fields=("category", "detail"),
        ),
        "CheckTimeoutError": Class(init=(P("args", "*"),), bases=("CheckError",)),
        "CheckTlsError": Class(init=(P("args", "*"),), bases=("CheckError",)),
        "Dependency": Class(
            init=(
                P("name", "pos", required=True),
                P("type", "pos", required=True),
                P("critical", "pos", required=True),
                P("endpoints", "pos"),
                P("config", "pos"),
            ),
            fields=("name", "type", "critical", "endpoints", "config"),
            methods={"validate": Func(())},
        ),
        "DependencyType": Enum(
            {
                "HTTP": "http",
                "GRPC": "grpc",
                "TCP": "tcp",
                "POSTGRES": "postgres",
                "MYSQL": "mysql",
                "REDIS": "redis",
                "AMQP": "amqp",
                "KAFKA": "kafka",
                "LDAP": "ldap",
            }
        ),
        "Endpoint": Class(
            init=(
                P("host", "pos", required=True),
                P("port", "pos", required=True),
                P("labels", "pos"),
            ),
            fields=("host", "port", "labels"),
        ),
        "EndpointNotFoundError": Class(
            init=(
                P("dep_name", "pos", required=True),
                P("host", "pos", required=True),
                P("port", "pos", required=True),
            )
        ),
        "EndpointStatus": Class(
            init=(
                P("healthy", "pos", required=True),
                P("status", "pos", required=True),
                P("detail", "pos", required=True),
                P("latency", "pos", required=True),
                P("type", "pos", required=True),
                P("name", "pos", required=True),
                P("host", "pos", required=True),
                P("port", "pos", required=True),
                P("critical", "pos", required=True),
                P("last_checked_at", "pos", required=True),
                P("labels", "pos"),
            ),
            fields=(
                "healthy",
                "status",
                "detail",
                "latency",
                "type",
                "name",
                "host",
                "port",
                "critical",
                "last_checked_at",
                "labels",
            ),
            methods={"latency_millis": Func(()), "to_dict": Func(())},
        ),
        "HealthChecker": Class(
            init=(),
            methods={
                "check": Func((P("endpoint", "pos", required=True),), is_async=True),
                "checker_type": Func(()),
            },
        ),
        "LABEL_NAME_PATTERN": Value(re.compile("^[a-zA-Z_][a-zA-Z0-9_]*$")),
        "ParsedConnection": Class(
            init=(
                P("host", "pos", required=True),
                P("port", "pos", required=True),
                P("conn_type", "pos", required=True),
            ),
            fields=("host", "port", "conn_type"),
        ),
        "RESERVED_LABELS": Value(
            frozenset({"name", "group", "dependency", "type", "host", "port", "critical"})
        ),
        "STATUS_AUTH_ERROR": Value("auth_error"),
        "STATUS_CONNECTION_ERROR": Value("connection_error"),
        "STATUS_DNS_ERROR": Value("dns_error"),
        "STATUS_ERROR": Value("error"),
        "STATUS_OK": Value("ok"),
        "STATUS_TIMEOUT": Value("timeout"),
        "STATUS_TLS_ERROR": Value("tls_error"),
        "STATUS_UNHEALTHY": Value("unhealthy"),
        "STATUS_UNKNOWN": Value("unknown"),
        "UnhealthyError": Class(init=(P("args", "*"), P("detail", "kw")), bases=("CheckError",)),
        "bool_to_yes_no": Func((P("value", "pos", required=True),)),
        "classify_error": Func((P("err", "pos", required=True),)),
        "default_check_config": Func(()),
        "parse_jdbc": Func((P("jdbc_url", "pos", required=True),)),
        "parse_params": Func((P("host", "pos", required=True), P("port", "pos", required=True))),
        "parse_url": Func((P("raw_url", "pos", required=True),)),
        "validate_label_name": Func((P("label", "pos", required=True),)),
        "validate_labels": Func((P("labels", "pos", required=True),)),
    },
    "dephealth.api": {
        "CheckConfig": Class(
            init=(
                P("interval", "pos"),
                P("timeout", "pos"),
                P("initial_delay", "pos"),
                P("failure_threshold", "pos"),
                P("success_threshold", "pos"),
            ),
            fields=(
                "interval",
                "timeout",
                "initial_delay",
                "failure_threshold",
                "success_threshold",
            ),
            methods={"validate": Func(())},
        ),
        "Dependency": Class(
            init=(
                P("name", "pos", required=True),
                P("type", "pos", required=True),
                P("critical", "pos", required=True),
                P("endpoints", "pos"),
                P("config", "pos"),
            ),
            fields=("name", "type", "critical", "endpoints", "config"),
            methods={"validate": Func(())},
        ),
        "DependencyHealth": Class(
            init=(
                P("name", "pos", required=True),
                P("group", "pos", required=True),
                P("specs", "*"),
                P("check_interval", "kw"),
                P("timeout", "kw"),
                P("registry", "kw"),
                P("log", "kw"),
            ),
            methods={
                "start": Func((), is_async=True),
                "stop": Func((), is_async=True),
                "start_sync": Func(()),
                "stop_sync": Func(()),
                "health": Func(()),
                "health_details": Func(()),
                "add_endpoint": Func(
                    (
                        P("dep_name", "pos", required=True),
                        P("dep_type", "pos", required=True),
                        P("critical", "pos", required=True),
                        P("endpoint", "pos", required=True),
                        P("checker", "pos", required=True),
                    ),
                    is_async=True,
                ),
                "remove_endpoint": Func(
                    (
                        P("dep_name", "pos", required=True),
                        P("host", "pos", required=True),
                        P("port", "pos", required=True),
                    ),
                    is_async=True,
                ),
                "update_endpoint": Func(
                    (
                        P("dep_name", "pos", required=True),
                        P("old_host", "pos", required=True),
                        P("old_port", "pos", required=True),
                        P("new_endpoint", "pos", required=True),
                        P("checker", "pos", required=True),
                    ),
                    is_async=True,
                ),
                "add_endpoint_sync": Func(
                    (
                        P("dep_name", "pos", required=True),
                        P("dep_type", "pos", required=True),
                        P("critical", "pos", required=True),
                        P("endpoint", "pos", required=True),
                        P("checker", "pos", required=True),
                    )
                ),
                "remove_endpoint_sync": Func(
                    (
                        P("dep_name", "pos", required=True),
                        P("host", "pos", required=True),
                        P("port", "pos", required=True),
                    )
                ),
                "update_endpoint_sync": Func(
                    (
                        P("dep_name", "pos", required=True),
                        P("old_host", "pos", required=True),
                        P("old_port", "pos", required=True),
                        P("new_endpoint", "pos", required=True),
                        P("checker", "pos", required=True),
                    )
                ),
            },
        ),
        "DependencyType": Enum(
            {
                "HTTP": "http",
                "GRPC": "grpc",
                "TCP": "tcp",
                "POSTGRES": "postgres",
                "MYSQL": "mysql",
                "REDIS": "redis",
                "AMQP": "amqp",
                "KAFKA": "kafka",
                "LDAP": "ldap",
            }
        ),
        "Endpoint": Class(
            init=(
                P("host", "pos", required=True),
                P("port", "pos", required=True),
                P("labels", "pos"),
            ),
            fields=("host", "port", "labels"),
        ),
        "EndpointStatus": Class(
            init=(
                P("healthy", "pos", required=True),
                P("status", "pos", required=True),
                P("detail", "pos", required=True),
                P("latency", "pos", required=True),
                P("type", "pos", required=True),
                P("name", "pos", required=True),
                P("host", "pos", required=True),
                P("port", "pos", required=True),
                P("critical", "pos", required=True),
                P("last_checked_at", "pos", required=True),
                P("labels", "pos"),
            ),
            fields=(
                "healthy",
                "status",
                "detail",
                "latency",
                "type",
                "name",
                "host",
                "port",
                "critical",
                "last_checked_at",
                "labels",
            ),
            methods={"latency_millis": Func(()), "to_dict": Func(())},
        ),
        "HealthChecker": Class(
            init=(),
            methods={
                "check": Func((P("endpoint", "pos", required=True),), is_async=True),
                "checker_type": Func(()),
            },
        ),
        "amqp_check": Func(
            (
                P("name", "pos", required=True),
                P("url", "kw"),
                P("host", "kw"),
                P("port", "kw"),
                P("critical", "kw", required=True),
                P("timeout", "kw"),
                P("interval", "kw"),
                P("labels", "kw"),
            )
        ),
        "grpc_check": Func(
            (
                P("name", "pos", required=True),
                P("url", "kw"),
                P("host", "kw"),
                P("port", "kw"),
                P("service_name", "kw"),
                P("tls", "kw"),
                P("tls_skip_verify", "kw"),
                P("metadata", "kw"),
                P("bearer_token", "kw"),
                P("basic_auth", "kw"),
                P("authority", "kw"),
                P("critical", "kw", required=True),
                P("timeout", "kw"),
                P("interval", "kw"),
                P("labels", "kw"),
            )
        ),
        "http_check": Func(
            (
                P("name", "pos", required=True),
                P("url", "kw"),
                P("host", "kw"),
                P("port", "kw"),
                P("health_path", "kw"),
                P("tls", "kw"),
                P("tls_skip_verify", "kw"),
                P("headers", "kw"),
                P("bearer_token", "kw"),
                P("basic_auth", "kw"),
                P("host_header", "kw"),
                P("critical", "kw", required=True),
                P("timeout", "kw"),
                P("interval", "kw"),
                P("labels", "kw"),
            )
        ),
        "kafka_check": Func(
            (
                P("name", "pos", required=True),
                P("url", "kw"),
                P("host", "kw"),
                P("port", "kw"),
                P("critical", "kw", required=True),
                P("timeout", "kw"),
                P("interval", "kw"),
                P("labels", "kw"),
            )
        ),
        "ldap_check": Func(
            (
                P("name", "pos", required=True),
                P("url", "kw"),
                P("host", "kw"),
                P("port", "kw"),
                P("check_method", "kw"),
                P("bind_dn", "kw"),
                P("bind_password", "kw"),
                P("base_dn", "kw"),
                P("search_filter", "kw"),
                P("search_scope", "kw"),
                P("start_tls", "kw"),
                P("tls_skip_verify", "kw"),
                P("client", "kw"),
                P("critical", "kw", required=True),
                P("timeout", "kw"),
                P("interval", "kw"),
                P("labels", "kw"),
            )
        ),
        "mysql_check": Func(
            (
                P("name", "pos", required=True),
                P("url", "kw"),
                P("host", "kw"),
                P("port", "kw"),
                P("query", "kw"),
                P("pool", "kw"),
                P("critical", "kw", required=True),
                P("timeout", "kw"),
                P("interval", "kw"),
                P("labels", "kw"),
            )
        ),
        "parse_params": Func((P("host", "pos", required=True), P("port", "pos", required=True))),
        "parse_url": Func((P("raw_url", "pos", required=True),)),
        "postgres_check": Func(
            (
                P("name", "pos", required=True),
                P("url", "kw"),
                P("host", "kw"),
                P("port", "kw"),
                P("query", "kw"),
                P("pool", "kw"),
                P("critical", "kw", required=True),
                P("timeout", "kw"),
                P("interval", "kw"),
                P("labels", "kw"),
            )
        ),
        "redis_check": Func(
            (
                P("name", "pos", required=True),
                P("url", "kw"),
                P("host", "kw"),
                P("port", "kw"),
                P("password", "kw"),
                P("db", "kw"),
                P("client", "kw"),
                P("critical", "kw", required=True),
                P("timeout", "kw"),
                P("interval", "kw"),
                P("labels", "kw"),
            )
        ),
        "tcp_check": Func(
            (
                P("name", "pos", required=True),
                P("host", "kw"),
                P("port", "kw"),
                P("critical", "kw", required=True),
                P("timeout", "kw"),
                P("interval", "kw"),
                P("labels", "kw"),
            )
        ),
        "validate_labels": Func((P("labels", "pos", required=True),)),
    },
    "dephealth.checks": {
        "AMQPChecker": Class(
            init=(P("timeout", "pos"), P("url", "pos")),
            methods={
                "check": Func((P("endpoint", "pos", required=True),), is_async=True),
                "checker_type": Func(()),
            },
        ),
        "GRPCChecker": Class(
            init=(
                P("service_name", "pos"),
                P("timeout", "pos"),
                P("tls", "pos"),
                P("tls_skip_verify", "pos"),
                P("metadata", "pos"),
                P("bearer_token", "pos"),
                P("basic_auth", "pos"),
                P("authority", "pos"),
            ),
            methods={
                "check": Func((P("endpoint", "pos", required=True),), is_async=True),
                "checker_type": Func(()),
            },
        ),
        "HTTPChecker": Class(
            init=(
                P("health_path", "pos"),
                P("timeout", "pos"),
                P("tls", "pos"),
                P("tls_skip_verify", "pos"),
                P("headers", "pos"),
                P("bearer_token", "pos"),
                P("basic_auth", "pos"),
                P("host_header", "pos"),
            ),
            methods={
                "check": Func((P("endpoint", "pos", required=True),), is_async=True),
                "checker_type": Func(()),
            },
        ),
        "KafkaChecker": Class(
            init=(P("timeout", "pos"),),
            methods={
                "check": Func((P("endpoint", "pos", required=True),), is_async=True),
                "checker_type": Func(()),
            },
        ),
        "LdapChecker": Class(
            init=(
                P("timeout", "pos"),
                P("check_method", "pos"),
                P("bind_dn", "pos"),
                P("bind_password", "pos"),
                P("base_dn", "pos"),
                P("search_filter", "pos"),
                P("search_scope", "pos"),
                P("use_tls", "pos"),
                P("start_tls", "pos"),
                P("tls_skip_verify", "pos"),
                P("client", "pos"),
            ),
            methods={
                "check": Func((P("endpoint", "pos", required=True),), is_async=True),
                "checker_type": Func(()),
            },
        ),
        "MySQLChecker": Class(
            init=(P("timeout", "pos"), P("query", "pos"), P("pool", "pos"), P("dsn", "pos")),
            methods={
                "check": Func((P("endpoint", "pos", required=True),), is_async=True),
                "checker_type": Func(()),
            },
        ),
        "PostgresChecker": Class(
            init=(P("timeout", "pos"), P("query", "pos"), P("pool", "pos"), P("dsn", "pos")),
            methods={
                "check": Func((P("endpoint", "pos", required=True),), is_async=True),
                "checker_type": Func(()),
            },
        ),
        "RedisChecker": Class(
            init=(
                P("timeout", "pos"),
                P("password", "pos"),
                P("db", "pos"),
                P("client", "pos"),
                P("url", "pos"),
            ),
            methods={
                "check": Func((P("endpoint", "pos", required=True),), is_async=True),
                "checker_type": Func(()),
            },
        ),
        "TCPChecker": Class(
            init=(P("timeout", "pos"),),
            methods={
                "check": Func((P("endpoint", "pos", required=True),), is_async=True),
                "checker_type": Func(()),
            },
        ),
        "LdapCheckMethod": Enum(
            {
                "ANONYMOUS_BIND": "anonymous_bind",
                "SIMPLE_BIND": "simple_bind",
                "ROOT_DSE": "root_dse",
                "SEARCH": "search",
            }
        ),
        "LdapSearchScope": Enum({"BASE": "base", "ONE": "one", "SUB": "sub"}),
    },
    "dephealth_fastapi": {
        "DepHealthMiddleware": Class(
            init=(P("app", "pos", required=True), P("registry", "pos"), P("metrics_path", "pos"))
        ),
        "dependencies_router": Router(routes=(("GET", "/health/dependencies"),)),
        "dephealth_lifespan": Func(
            (
                P("name", "pos", required=True),
                P("group", "pos", required=True),
                P("specs", "*"),
                P("check_interval", "kw"),
                P("timeout", "kw"),
                P("registry", "kw"),
                P("log", "kw"),
            )
        ),
    },
}
