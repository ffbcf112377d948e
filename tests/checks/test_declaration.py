"""Each checker kind declares its options once; names, factories and type checks follow."""

from __future__ import annotations

import inspect
import typing

import pytest

from dephealth_core import ConfigError, amqp_check, http_check, ldap_check, redis_check
from dephealth_core._dependency import CommonOptions, EndpointOptions
from dephealth_core._kinds import FACTORIES, KINDS
from dephealth_core.checks._factories import factory_doc


@pytest.mark.parametrize("kind_type", sorted(KINDS))
def test_a_factory_takes_its_kinds_declaration_as_keywords(kind_type: str) -> None:
    """The name is positional; every other keyword is the kind's declared TypedDict."""
    factory = FACTORIES[kind_type]
    parameters = list(inspect.signature(factory).parameters.values())
    assert [p.kind for p in parameters] == [
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.VAR_KEYWORD,
    ]
    (declaration,) = typing.get_args(typing.get_type_hints(factory)["options"])
    assert declaration is KINDS[kind_type].declaration


@pytest.mark.parametrize("kind_type", sorted(KINDS))
def test_the_options_mappings_accept_are_the_declared_ones(kind_type: str) -> None:
    """Kind.options, read by the configuration parser, is the declaration less the shared keys."""
    kind = KINDS[kind_type]
    assert kind.declaration is not None
    shared = set(EndpointOptions.__annotations__) | {"pool", "client"}
    assert kind.options == set(kind.declaration.__annotations__) - shared


@pytest.mark.parametrize("kind_type", sorted(KINDS))
def test_every_option_is_in_the_factorys_docstring(kind_type: str) -> None:
    """The docstring still lists each argument the declaration holds."""
    kind = KINDS[kind_type]
    assert kind.declaration is not None
    doc = FACTORIES[kind_type].__doc__ or ""
    common = set(CommonOptions.__annotations__)
    for key in set(kind.declaration.__annotations__) - common:
        assert f"{key}:" in doc, key


@pytest.mark.parametrize("kind_type", sorted(KINDS))
def test_every_docstring_describes_the_shared_keywords_once_in_order(kind_type: str) -> None:
    """help() shows name, critical, the address with the kind's default port, then **common."""
    doc = FACTORIES[kind_type].__doc__ or ""
    keys = [line.strip().partition(":")[0] for line in doc.splitlines() if line[4:5].isalnum()]
    keys += [line.strip().partition(":")[0] for line in doc.splitlines() if "**common:" in line]
    address = [key for key in keys if key in ("name", "critical", "url", "host", "port")]
    assert address == ["name", "critical", "url", "host", "port"]
    assert keys[-1] == "**common"
    assert len(keys) == len(set(keys))
    port = KINDS[kind_type].default_port
    assert f"(default {port}" in doc or port is None


def test_a_shared_entry_the_factory_writes_itself_is_kept() -> None:
    """A kind's own wording of a shared keyword wins over the shared one."""
    doc = factory_doc(
        """Declare one.

        Args:
            url: ``x://host``.
            host: a single broker.
            own: an option.
        """,
        9,
    )
    assert doc.splitlines()[3:] == [
        "    name: the dependency name (``[a-z][a-z0-9-]*``).",
        "    critical: whether the service cannot work without it (required).",
        "    url: ``x://host``.",
        "    host: a single broker.",
        "    port: the port, with ``host`` (default 9).",
        "    own: an option.",
        "    **common: ``interval``, ``timeout``, ``initial_delay``, thresholds, ``labels``.",
    ]


def test_an_undeclared_keyword_is_a_type_error() -> None:
    """As with a plain signature, a misspelt keyword fails at the call."""
    with pytest.raises(TypeError, match="bogus"):
        redis_check("cache", host="localhost", bogus=1, critical=True)  # type: ignore[call-arg]


def test_options_left_at_none_are_not_given() -> None:
    """A factory keeps only the options it was given."""
    dependency = redis_check("cache", host="localhost", db=2, critical=True)
    assert dict(dependency.options) == {"db": 2}
    assert dependency.host == "localhost"
    assert dependency.critical is True


@pytest.mark.parametrize(
    ("build", "field", "message"),
    [
        (lambda: redis_check("r", host="h", password=5, critical=True), "password", "a string"),
        (lambda: amqp_check("a", host="h", vhost=1, critical=True), "vhost", "a string"),
        (lambda: http_check("h", host="h", tls_ca_file=3, critical=True), "tls_ca_file", "a file"),
        (lambda: ldap_check("l", host="h", base_dn=[], critical=True), "base_dn", "a string"),
    ],
)
def test_a_value_of_the_wrong_type_is_a_config_error_naming_the_option(
    build: object, field: str, message: str
) -> None:
    """The declared type is checked at construction; the error names dependency and field."""
    assert callable(build)
    with pytest.raises(ConfigError, match=f"expected {message}") as caught:
        build().validate()
    assert caught.value.field == field


def test_a_secret_of_the_wrong_type_stays_out_of_the_error() -> None:
    """The message says what was expected, never the value."""
    with pytest.raises(ConfigError) as caught:
        redis_check("r", host="h", password=b"hunter2", critical=True).validate()  # type: ignore[arg-type]
    assert "hunter2" not in str(caught.value)


def test_pool_and_client_together_are_refused() -> None:
    """A kind that takes both names must be given one of them."""
    with pytest.raises(ConfigError, match="either pool= or client=") as caught:
        amqp_check("a", pool=object(), client=object(), critical=True)
    assert caught.value.field == "client"
