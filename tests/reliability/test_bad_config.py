"""Bad configuration: nothing but a ConfigError with a message escapes, and it quotes no secret."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dephealth_core import (
    ConfigError,
    Dependency,
    DependencyHealth,
    HealthViews,
    http_check,
    mysql_check,
    postgres_check,
    redis_check,
    tcp_check,
)
from dephealth_starlette import DepHealthMiddleware

SCHEMES = ("postgres", "mysql", "redis", "amqp", "http", "kafka", "ldap", "tcp")


@pytest.mark.parametrize("separator", ["/", "?", "#"])
@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_password_with_reserved_characters_stays_out_of_the_error(
    scheme: str, separator: str
) -> None:
    """A password with an unencoded '/', '?' or '#' fails with an error that does not quote it."""
    head = "Hunter2secret"
    url = f"{scheme}://user:{head}{separator}rest@db.example:5432/app"
    with pytest.raises(ConfigError) as caught:
        DependencyHealth(
            "svc",
            "team",
            environ={"DEPHEALTH_DB_URL": url, "DEPHEALTH_DB_CRITICAL": "yes"},
            metrics=False,
        )
    assert caught.value.field == "port"
    assert head not in str(caught.value)


@pytest.mark.timeout(10)
def test_a_huge_range_of_expected_statuses_fails_at_once() -> None:
    """``expected_statuses="100-99999999999"`` is refused at once, not after filling memory."""
    with pytest.raises(ConfigError, match="between 100 and 599") as caught:
        DependencyHealth(
            "svc",
            "team",
            http_check(
                "api", url="http://api.example/", expected_statuses="100-99999999999", critical=True
            ),
            metrics=False,
        )
    assert caught.value.field == "expected_statuses"


@pytest.mark.parametrize(
    ("field", "dependency"),
    [
        ("port", tcp_check("t", host="db.example", port="²", critical=True)),
        ("port", tcp_check("t", url="tcp://db.example:²", critical=True)),
        (
            "failure_threshold",
            tcp_check("t", url="tcp://db.example:1", failure_threshold="²", critical=True),
        ),
        ("db", redis_check("r", url="redis://cache.example/²", critical=True)),
        (
            "expected_statuses",
            http_check("h", url="http://a.example/", expected_statuses="²", critical=True),
        ),
        (
            "expected_statuses",
            http_check("h", url="http://a.example/", expected_statuses="1²-3", critical=True),
        ),
    ],
)
def test_digits_that_are_not_decimal_are_config_errors(field: str, dependency: Dependency) -> None:
    """A superscript digit where a number belongs is a ConfigError naming the field."""
    with pytest.raises(ConfigError) as caught:
        DependencyHealth("svc", "team", dependency, metrics=False)
    assert caught.value.field == field


@pytest.mark.parametrize("content", [None, b"not a certificate\n"])
@pytest.mark.parametrize(
    ("field", "make"),
    [
        (
            "tls_ca_file",
            lambda ca: http_check("h", url="https://a.example/", tls_ca_file=ca, critical=True),
        ),
        (
            "sslrootcert",
            lambda ca: postgres_check(
                "p",
                url="postgres://a.example/db",
                sslmode="verify-full",
                sslrootcert=ca,
                critical=True,
            ),
        ),
        (
            "ssl_ca",
            lambda ca: mysql_check(
                "m", url="mysql://a.example/db", ssl_mode="verify_ca", ssl_ca=ca, critical=True
            ),
        ),
    ],
)
def test_a_ca_file_that_cannot_be_loaded_is_a_config_error(
    field: str, make: Callable[[str], Dependency], content: bytes | None, tmp_path: Path
) -> None:
    """A missing or invalid CA file fails at construction with a ConfigError naming the field."""
    ca = tmp_path / "ca.pem"
    if content is not None:
        ca.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        DependencyHealth("svc", "team", make(str(ca)), metrics=False)
    assert caught.value.field == field


VIEW_OPTIONS = [
    {"prefix": 5},
    {"prefix": "ops"},
    {"paths": {"livez": 5}},
    {"paths": {"livez": "/same", "readyz": "/same"}},
    {"paths": {"livez": "/health"}},
    {"paths": {"nope": "/x"}},
    {"show_details": "sometimes"},
    {"show_details": "token", "details_token": 5},
    {"show_details": "token"},
]


@pytest.mark.parametrize("options", VIEW_OPTIONS)
def test_bad_view_options_are_config_errors(options: dict[str, Any]) -> None:
    """Views given a wrong type, a clash of paths or a missing token fail with a ConfigError."""
    engine = DependencyHealth("svc", "team", metrics=False)
    with pytest.raises(ConfigError):
        HealthViews(engine, **options)
    with pytest.raises(ConfigError):
        DepHealthMiddleware(lambda scope, receive, send: None, engine, **options)


@pytest.mark.parametrize("dotted", [".x", "..a.b", "a.", "no.such.module.view"])
def test_a_show_details_path_that_cannot_be_imported_is_a_config_error(dotted: str) -> None:
    """A DEPHEALTH show_details that is not an importable callable is a ConfigError."""
    from dephealth_django._settings import read_options

    with pytest.raises(ConfigError) as caught:
        read_options({"show_details": dotted})
    assert caught.value.field == "show_details"
