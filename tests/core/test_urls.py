"""URL parsing: default ports, multi-host lists, IPv6, credentials kept out of repr."""

from __future__ import annotations

import pytest

from dephealth_core import ConfigError
from dephealth_core._urls import parse_url


@pytest.mark.parametrize(
    ("url", "hosts", "type_"),
    [
        ("postgres://app:pass@pg.svc:5432/orders", [("pg.svc", "5432")], "postgres"),
        ("postgresql://app:pass@pg.svc/orders", [("pg.svc", "5432")], "postgres"),
        ("redis://redis.svc", [("redis.svc", "6379")], "redis"),
        ("rediss://redis.svc:6380/0", [("redis.svc", "6380")], "redis"),
        ("https://payment.svc/health", [("payment.svc", "443")], "http"),
        ("http://payment.svc:8080/health", [("payment.svc", "8080")], "http"),
        ("amqp://user:pass@rabbit.svc/orders", [("rabbit.svc", "5672")], "amqp"),
        ("amqps://rabbit.svc", [("rabbit.svc", "5671")], "amqp"),
        ("kafka://b0:9092,b1,b2:9093", [("b0", "9092"), ("b1", "9092"), ("b2", "9093")], "kafka"),
        ("postgres://[::1]:5432/db", [("::1", "5432")], "postgres"),
        ("jdbc:mysql://m.svc/orders", [("m.svc", "3306")], "mysql"),
        ("ldaps://ldap.svc", [("ldap.svc", "636")], "ldap"),
        ("grpc://auth.svc", [("auth.svc", "443")], "grpc"),
    ],
)
def test_contract_examples(url: str, hosts: list[tuple[str, str]], type_: str) -> None:
    """The dephealth config contract's parsing examples."""
    parsed = parse_url(url)
    assert list(parsed.hosts) == hosts
    assert parsed.type == type_


def test_credentials_are_decoded_and_hidden() -> None:
    """Percent-encoded passwords are decoded and never shown by repr or redacted()."""
    parsed = parse_url("postgres://app:p%40ss@pg/db")
    assert parsed.password == "p@ss"
    assert "p@ss" not in repr(parsed) and "p%40ss" not in parsed.redacted()


@pytest.mark.parametrize(
    "url", ["", "pg.svc:5432", "tcp://h", "postgres://", "postgres://h:1,", "redis://::1:6379"]
)
def test_bad_urls(url: str) -> None:
    """Malformed URLs are ConfigErrors, never other exceptions."""
    with pytest.raises(ConfigError):
        parse_url(url, dependency="x")
