"""Bad configuration: nothing but a ConfigError with a message escapes, and it quotes no secret."""

from __future__ import annotations

import pytest

from dephealth_core import (
    ConfigError,
    Dependency,
    DependencyHealth,
    http_check,
    redis_check,
    tcp_check,
)

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
