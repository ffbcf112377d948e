"""Bad inputs that only one source can hold: a mapping's shape, a variable's name, a TOML text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dephealth_core import ConfigError, DependencyHealth

BASE = {"name": "svc", "group": "team"}
ENV = {"DEPHEALTH_NAME": "svc", "DEPHEALTH_GROUP": "team"}
TCP = {"type": "tcp", "host": "127.0.0.1", "port": 1, "critical": True}

MAPPING_CASES: list[tuple[str, Any, str | None, str | None]] = [
    ("a list instead of a mapping", [("name", "svc")], None, None),
    ("text instead of a mapping", "name=svc", None, None),
    ("dependencies as a list", {**BASE, "dependencies": [TCP]}, None, "dependencies"),
    ("a dependency as a URL", {**BASE, "dependencies": {"db": "tcp://h:1"}}, "db", "dependencies"),
    ("an unknown top-level key", {**BASE, "colour": "red"}, None, "colour"),
    ("a bad service name", {**BASE, "name": "Bad Name"}, None, "name"),
    ("a group of the wrong type", {**BASE, "group": 5}, None, "group"),
    ("an interval in words", {**BASE, "check_interval": "soon"}, None, "interval"),
    (
        "a timeout not below the interval",
        {**BASE, "check_interval": 2, "timeout": 3},
        None,
        "timeout",
    ),
    ("labels as text", {**BASE, "dependencies": {"db": {**TCP, "labels": "a=b"}}}, "db", "labels"),
    (
        "a pool on a tcp check",
        {**BASE, "dependencies": {"db": {**TCP, "pool": object()}}},
        "db",
        "pool",
    ),
    (
        "a client on an http check",
        {
            **BASE,
            "dependencies": {"api": {"url": "http://127.0.0.1/", "critical": True, "client": 1}},
        },
        "api",
        "client",
    ),
    ("a bad dependency name", {**BASE, "dependencies": {"DB": TCP}}, "DB", "name"),
]


@pytest.mark.parametrize(
    ("config", "dependency", "field"),
    [case[1:] for case in MAPPING_CASES],
    ids=[case[0] for case in MAPPING_CASES],
)
def test_a_bad_mapping_is_a_config_error(
    config: Any, dependency: str | None, field: str | None
) -> None:
    """from_config with a mapping of the wrong shape or values: a ConfigError, never a TypeError."""
    with pytest.raises(ConfigError) as caught:
        DependencyHealth.from_config(config, environ={}, metrics=False)
    assert (caught.value.dependency, caught.value.field) == (dependency, field)


ENV_CASES: list[tuple[str, dict[str, str], str | None, str]] = [
    ("a bad service name", {"DEPHEALTH_NAME": "Bad"}, None, "name"),
    ("a global timeout in words", {"DEPHEALTH_TIMEOUT": "abc"}, None, "timeout"),
    ("a global threshold of zero", {"DEPHEALTH_FAILURE_THRESHOLD": "0"}, None, "failure_threshold"),
    (
        "an unknown field",
        {
            "DEPHEALTH_DB_URL": "tcp://127.0.0.1:1",
            "DEPHEALTH_DB_CRITICAL": "yes",
            "DEPHEALTH_DB_COLOUR": "red",
        },
        "db",
        "colour",
    ),
    (
        "a client for a tcp check",
        {
            "DEPHEALTH_DB_URL": "tcp://127.0.0.1:1",
            "DEPHEALTH_DB_CRITICAL": "yes",
            "DEPHEALTH_DB_CLIENT": "x",
        },
        "db",
        "client",
    ),
    (
        "headers that are not JSON",
        {
            "DEPHEALTH_API_URL": "http://127.0.0.1/",
            "DEPHEALTH_API_CRITICAL": "yes",
            "DEPHEALTH_API_HEADERS": "{not json",
        },
        "api",
        "headers",
    ),
    (
        "a dependency name that cannot be one",
        {"DEPHEALTH_9DB_URL": "tcp://127.0.0.1:1", "DEPHEALTH_9DB_CRITICAL": "yes"},
        "9db",
        "name",
    ),
    (
        "a type that does not exist",
        {
            "DEPHEALTH_DB_TYPE": "sql",
            "DEPHEALTH_DB_HOST": "127.0.0.1",
            "DEPHEALTH_DB_CRITICAL": "yes",
        },
        "db",
        "type",
    ),
    (
        "a host with credentials",
        {
            "DEPHEALTH_DB_TYPE": "tcp",
            "DEPHEALTH_DB_HOST": "u:Zq9kXw7@127.0.0.1",
            "DEPHEALTH_DB_PORT": "1",
            "DEPHEALTH_DB_CRITICAL": "yes",
        },
        "db",
        "host",
    ),
]


@pytest.mark.parametrize(
    ("environ", "dependency", "field"),
    [case[1:] for case in ENV_CASES],
    ids=[case[0] for case in ENV_CASES],
)
def test_a_bad_variable_is_a_config_error(
    environ: dict[str, str], dependency: str | None, field: str
) -> None:
    """DEPHEALTH_* variables: a ConfigError naming the dependency the name resolves to."""
    with pytest.raises(ConfigError) as caught:
        DependencyHealth(environ={**ENV, **environ}, metrics=False)
    assert (caught.value.dependency, caught.value.field) == (dependency, field)
    assert "Zq9kXw7" not in str(caught.value)


TOML_CASES: list[tuple[str, str, str | None, str | None]] = [
    ("not TOML", "name = \n", None, None),
    ("an array of tables", "[[dephealth]]\nname = 'svc'\n", None, "dephealth"),
    ("dephealth as a number", "dephealth = 3\n", None, "dephealth"),
    ("a duplicate key", "name = 'a'\nname = 'b'\n", None, None),
    ("a NUL byte", "name = 'svc'\x00\n", None, None),
    (
        "a port as a float",
        "name='svc'\ngroup='team'\n[dependencies.db]\ntype='tcp'\nhost='127.0.0.1'\nport=1.5\ncritical=true\n",
        "db",
        "port",
    ),
    (
        "an unencoded password",
        "name='svc'\ngroup='team'\n[dependencies.db]\nurl='postgres://u:Hunt3rTm/x@127.0.0.1/db'\ncritical=true\n",
        "db",
        "url",
    ),
]


@pytest.mark.parametrize(
    ("text", "dependency", "field"),
    [case[1:] for case in TOML_CASES],
    ids=[case[0] for case in TOML_CASES],
)
def test_a_bad_toml_file_is_a_config_error(
    text: str, dependency: str | None, field: str | None, tmp_path: Path
) -> None:
    """A TOML file that cannot be read, or holds bad values, is a ConfigError."""
    path = tmp_path / "dephealth.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        DependencyHealth.from_config(toml_path=path, environ={}, metrics=False)
    assert (caught.value.dependency, caught.value.field) == (dependency, field)
    assert "Hunt3rTm" not in str(caught.value)


def test_a_missing_toml_file_is_a_config_error(tmp_path: Path) -> None:
    """An unreadable path is a ConfigError, not an OSError."""
    with pytest.raises(ConfigError, match="cannot read"):
        DependencyHealth.from_config(toml_path=tmp_path / "none.toml", environ={}, metrics=False)
