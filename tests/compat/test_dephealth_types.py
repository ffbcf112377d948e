"""dephealth's types and helpers, called as its users call them, mean what they meant there."""

from __future__ import annotations

import socket
import ssl
from datetime import UTC, datetime

import pytest

from dephealth_core import (
    ALL_STATUS_CATEGORIES,
    CheckAuthError,
    CheckConfig,
    CheckConnectionRefusedError,
    CheckDnsError,
    CheckError,
    CheckResult,
    CheckTimeoutError,
    CheckTlsError,
    ConfigError,
    DependencyType,
    Endpoint,
    EndpointNotFoundError,
    EndpointStatus,
    ParsedConnection,
    UnhealthyError,
    bool_to_yes_no,
    classify_error,
    default_check_config,
    parse_jdbc,
    parse_params,
    parse_url,
    validate_label_name,
    validate_labels,
)


def test_endpoint_takes_dephealths_positional_shape() -> None:
    """``Endpoint(host, port, labels)`` as dephealth's dynamic-endpoint users write it."""
    endpoint = Endpoint("db.svc", "5432", {"zone": "a"})
    assert (endpoint.host, endpoint.port, dict(endpoint.labels)) == (
        "db.svc",
        "5432",
        {"zone": "a"},
    )
    assert dict(Endpoint(host="h", port="1").labels) == {}


@pytest.mark.parametrize(
    ("error", "status", "detail"),
    [
        (CheckTimeoutError("slow"), "timeout", "timeout"),
        (CheckConnectionRefusedError("refused"), "connection_error", "connection_refused"),
        (CheckDnsError("nx"), "dns_error", "dns_error"),
        (CheckAuthError("denied"), "auth_error", "auth_error"),
        (CheckTlsError("bad cert"), "tls_error", "tls_error"),
        (UnhealthyError("down"), "unhealthy", "unhealthy"),
        (UnhealthyError("not serving", detail="grpc_not_serving"), "unhealthy", "grpc_not_serving"),
        (
            CheckError("custom", status_category="unhealthy", status_detail="no_brokers"),
            "unhealthy",
            "no_brokers",
        ),
        (CheckError("plain"), "error", "error"),
    ],
)
def test_check_errors_carry_dephealths_classification(
    error: CheckError, status: str, detail: str
) -> None:
    """A custom checker's exceptions keep dephealth's status_category / status_detail."""
    assert isinstance(error, CheckError)
    assert (error.status_category, error.status_detail) == (status, detail)
    assert classify_error(error) == CheckResult(status, detail)
    assert str(error) == error.args[0]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (None, CheckResult("ok", "ok")),
        (TimeoutError(), CheckResult("timeout", "timeout")),
        (socket.gaierror(), CheckResult("dns_error", "dns_error")),
        (ConnectionRefusedError(), CheckResult("connection_error", "connection_refused")),
        (ssl.SSLCertVerificationError(), CheckResult("tls_error", "tls_error")),
        (RuntimeError("boom"), CheckResult("error", "error")),
    ],
)
def test_classify_error_follows_the_contracts_chain(
    error: BaseException | None, expected: CheckResult
) -> None:
    """``classify_error``: no error is ok; platform errors map as in spec 6.2.1; else error."""
    assert classify_error(error) == expected


def test_classify_error_reads_the_cause() -> None:
    """A wrapper raised ``from`` a refused connection is a refused connection."""
    wrapped = RuntimeError("wrapped")
    wrapped.__cause__ = ConnectionRefusedError()
    assert classify_error(wrapped) == CheckResult("connection_error", "connection_refused")


def test_status_constants() -> None:
    assert ALL_STATUS_CATEGORIES == (
        "ok",
        "timeout",
        "connection_error",
        "dns_error",
        "auth_error",
        "tls_error",
        "unhealthy",
        "error",
    )


def test_parse_url_and_friends() -> None:
    """``parse_url`` / ``parse_jdbc`` / ``parse_params`` return dephealth's shapes."""
    assert parse_url("kafka://k1:9092,k2:9093") == [
        ParsedConnection("k1", "9092", DependencyType.KAFKA),
        ParsedConnection("k2", "9093", DependencyType.KAFKA),
    ]
    assert parse_url("postgresql://u:p@db.svc/app") == [
        ParsedConnection("db.svc", "5432", DependencyType.POSTGRES)
    ]
    assert parse_url("amqps://mq") == [ParsedConnection("mq", "5671", DependencyType.AMQP)]
    assert parse_jdbc("jdbc:mysql://my.svc:3307/app") == [
        ParsedConnection("my.svc", "3307", DependencyType.MYSQL)
    ]
    endpoint = parse_params("cache.svc", "6379")
    assert (endpoint.host, endpoint.port) == ("cache.svc", "6379")
    for bad in ("", "ftp://x", "redis://h:99999"):
        with pytest.raises(ValueError):
            parse_url(bad)
    with pytest.raises(ValueError):
        parse_params("h", "port")


def test_label_validation() -> None:
    """Reserved and malformed label names are ValueErrors (ours: ConfigError, a ValueError)."""
    validate_labels({"env": "prod", "_zone": "a"})
    validate_label_name("region")
    for bad in ("host", "critical", "9lives", "with-dash"):
        with pytest.raises(ValueError):
            validate_labels({bad: "x"})
        with pytest.raises(ConfigError):
            validate_label_name(bad)
    assert (bool_to_yes_no(True), bool_to_yes_no(False)) == ("yes", "no")


def test_check_config() -> None:
    """``CheckConfig`` keeps dephealth's defaults; ``validate`` applies the contract's ranges."""
    config = default_check_config()
    assert (config.interval, config.timeout, config.failure_threshold) == (15.0, 5.0, 1)
    CheckConfig(30, 3).validate()
    with pytest.raises(ValueError):
        CheckConfig(interval=0.5).validate()
    with pytest.raises(ValueError):
        CheckConfig(timeout=120).validate()


def test_endpoint_status_serialises_as_dephealth_did() -> None:
    """``EndpointStatus(...)`` built positionally; ``to_dict`` gives the HealthDetails JSON:
    dephealth's keys with dephealth's values, then ours (``lateness_ms``), never in between."""
    checked = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    status = EndpointStatus(
        True, "ok", "ok", 0.0125, "http", "api", "api.svc", "80", True, checked, {"env": "p"}
    )
    assert status.latency_millis() == pytest.approx(12.5)
    data = status.to_dict()
    # ISO 8601 either way: ours writes UTC as "Z", dephealth isoformat()'s "+00:00".
    assert datetime.fromisoformat(data.pop("last_checked_at").replace("Z", "+00:00")) == checked
    assert list(data)[-1] == "lateness_ms"
    assert data.pop("lateness_ms") == 0.0
    assert data == {
        "healthy": True,
        "status": "ok",
        "detail": "ok",
        "latency_ms": pytest.approx(12.5),
        "type": "http",
        "name": "api",
        "host": "api.svc",
        "port": "80",
        "critical": True,
        "labels": {"env": "p"},
    }


def test_endpoint_not_found_error() -> None:
    error = EndpointNotFoundError("orders-db", "db", "5432")
    assert (error.dep_name, error.host, error.port) == ("orders-db", "db", "5432")
    assert "orders-db:db:5432" in str(error)


def test_dependency_type_is_a_string() -> None:
    assert DependencyType("grpc") is DependencyType.GRPC
    assert f"{DependencyType.LDAP}" == "ldap"
