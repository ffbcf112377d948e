"""Property: a password of any characters, in any URL scheme and any source, never leaks.

Each example declares one dependency whose URL carries a generated password (raw or
percent-encoded) and points at a closed loopback port. Either the configuration is refused
with a ConfigError that quotes no part of the password (only possible when the password was
written raw with a character that must be encoded), or the engine checks exactly
``127.0.0.1:<port>``, and after a real round of checks the password is in no label, metric,
view (details on), ``repr`` or log record of any logger at DEBUG.
"""

from __future__ import annotations

import os
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from dephealth_core import ConfigError
from tests.support.ports import free_port

from .secret_urls import (
    PATHS,
    Password,
    assert_error_quotes_nothing,
    exposure,
    no_leak,
    passwords,
    url_for,
)
from .sources import SCHEME_TYPES, SOURCES, build

EXAMPLES = int(os.environ.get("DEPHEALTH_CONFIG_EXAMPLES", "25"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def refused_rightly(error: ConfigError, password: Password) -> None:
    """Only an ambiguous URL is refused, on ``url``, saying to encode, quoting nothing."""
    assert not password.must_parse, f"refused an unambiguous URL: {error}"
    assert (error.dependency, error.field) == ("dep", "url")
    assert "percent-encode" in str(error)
    assert_error_quotes_nothing(error, password)


@pytest.fixture(scope="module")
def closed_port() -> int:
    return free_port()


@pytest.mark.parametrize("scheme", sorted(PATHS))
@PROPERTY
@given(password=passwords(), source=st.sampled_from(SOURCES))
def test_a_password_in_a_url_is_parsed_right_or_refused_and_never_shown(
    scheme: str, password: Password, source: str, closed_port: int
) -> None:
    """Right host and port with the password nowhere, or a ConfigError that quotes none of it."""
    url = url_for(scheme, password, closed_port)
    fields = {"type": SCHEME_TYPES[scheme], "url": url, "critical": True}
    registry = CollectorRegistry()
    try:
        engine = build(source, "dep", fields, registry=registry, timeout=2)
    except ConfigError as error:
        refused_rightly(error, password)
        return
    texts = exposure(engine, registry)
    statuses = engine.health_details()
    assert list(statuses) == [f"dep:127.0.0.1:{closed_port}"]
    assert next(iter(statuses.values())).status == "connection_error"
    no_leak(password, texts)


def refused_on_host(error: ConfigError, password: Password) -> None:
    assert (error.dependency, error.field) == ("dep", "host")
    assert_error_quotes_nothing(error, password)


@st.composite
def host_values(draw: st.DrawFn) -> tuple[str, Password]:
    """A host= value: a real host, or one with credentials, a port or a URL mixed in."""
    password = draw(passwords())
    host = draw(
        st.one_of(
            st.sampled_from(["127.0.0.1", "::1", "[::1]", "db.example", "DB-1.example."]),
            st.just(f"admin:{password.in_url}@127.0.0.1"),
            st.just(f"http://admin:{password.in_url}@db.example"),
            st.just(f"{password.value}.example"),
            st.text(alphabet=string.printable, max_size=20),
        )
    )
    return host, password


@pytest.mark.parametrize("source", SOURCES)
@PROPERTY
@given(value=host_values())
def test_a_host_value_is_a_host_or_refused_without_its_secret(
    source: str, value: tuple[str, Password]
) -> None:
    """host= takes a name or an address only; anything else is refused, quoting no secret."""
    host, password = value
    try:
        engine = build(source, "dep", {"type": "tcp", "host": host, "port": 1, "critical": True})
    except ConfigError as error:
        refused_on_host(error, password)
        return
    ((resolved, port),) = engine.dependencies[0].resolve_target().hosts
    assert port == "1"
    assert resolved == host.strip().removeprefix("[").removesuffix("]")
    assert not any(mark in resolved for mark in "@/?#% ")
