"""Every hand-written bad input, from every source, is a ConfigError naming dependency and field.

The catalogue (``catalogue.py``) holds what a new user gets wrong; each case is tried in code,
a settings mapping, ``DEPHEALTH_*`` variables, a TOML file and a Flask ``app.config``. Nothing
but a ConfigError may escape, it must name the dependency and the field, and it must quote
no part of a password.
"""

from __future__ import annotations

from typing import Any

import pytest

from dephealth_core import ConfigError

from .catalogue import DEPENDENCY_CASES, Case
from .sources import SOURCES, build


def refusal(source: str, case: Case) -> ConfigError:
    try:
        engine = build(source, "dep", case.fields)
    except ConfigError as error:
        return error
    raise AssertionError(f"{source}: accepted {case.label}: {engine!r}")


TRIED = [(source, case) for case in DEPENDENCY_CASES for source in case.sources or SOURCES]


@pytest.mark.parametrize(
    ("source", "case"), TRIED, ids=[f"{case.label}-{source}" for source, case in TRIED]
)
def test_a_bad_dependency_is_refused_naming_it_and_the_field(source: str, case: Case) -> None:
    """The same bad input fails the same way in code, mapping, environment, TOML and Flask."""
    error = refusal(source, case)
    assert (error.dependency, error.field) == (case.dependency, case.field), str(error)
    if case.secret is not None:
        assert case.secret not in str(error)
        assert case.secret not in repr(error)


def test_the_catalogue_covers_what_the_issue_lists() -> None:
    """At least one case per field that users got wrong, and one per checker kind's URL."""
    fields = {case.field for case in DEPENDENCY_CASES}
    assert {"url", "host", "port", "critical", "type", "labels", "tls_ca_file"} <= fields
    kinds = {case.fields.get("type") for case in DEPENDENCY_CASES if case.secret}
    assert {"postgres", "redis", "amqp", "http", "mysql", "ldap", "kafka", "grpc", "tcp"} <= kinds


@pytest.mark.parametrize(
    ("fields", "hosts"),
    [
        ({"type": "tcp", "host": "db.example", "port": 5432}, [("db.example", "5432")]),
        ({"type": "tcp", "host": "DB.Example.", "port": "5432"}, [("DB.Example.", "5432")]),
        ({"type": "tcp", "host": "::1", "port": 1}, [("::1", "1")]),
        ({"type": "tcp", "host": "[::1]", "port": 1}, [("::1", "1")]),
        ({"type": "tcp", "host": "10.0.0.1", "port": 65535}, [("10.0.0.1", "65535")]),
        (
            {"type": "tcp", "host": "xn--bcher-kva.example", "port": 1},
            [("xn--bcher-kva.example", "1")],
        ),
        ({"type": "tcp", "host": "0db", "port": 1}, [("0db", "1")]),
        ({"type": "tcp", "host": "db_main", "port": 1}, [("db_main", "1")]),
        ({"type": "tcp", "url": "tcp://db_main:5432"}, [("db_main", "5432")]),
        ({"type": "postgres", "url": "postgres://u:p%2F%3F%23%40@[::1]/db"}, [("::1", "5432")]),
        (
            {"type": "kafka", "url": "kafka://a.example:9093,b.example"},
            [("a.example", "9093"), ("b.example", "9093")],
        ),
    ],
)
@pytest.mark.parametrize("source", SOURCES)
def test_good_hosts_are_kept_as_given(
    source: str, fields: dict[str, Any], hosts: list[tuple[str, str]]
) -> None:
    """Names, IPv4, bare and bracketed IPv6 and encoded passwords give the right endpoints."""
    engine = build(source, "dep", {**fields, "critical": True})
    (dependency,) = engine.dependencies
    assert [tuple(pair) for pair in dependency.resolve_target().hosts] == hosts
