"""The sources a dependency can be declared in, each built from the same plain fields.

``build(source, name, fields)`` declares one dependency ``name`` with ``fields`` (``type``,
``url``, ``host``, ``critical``... as a mapping holds them) in code, a settings mapping,
``DEPHEALTH_*`` variables, a TOML file or a Flask ``app.config``, and returns the engine:
the same input reaches the engine by each of the ways a user may give it. Django's settings
are tried in ``tests/django`` (they need the configured test project).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from dephealth_core import (
    Dependency,
    DependencyHealth,
    amqp_check,
    grpc_check,
    http_check,
    kafka_check,
    ldap_check,
    mysql_check,
    postgres_check,
    redis_check,
    tcp_check,
)

SOURCES = ("code", "mapping", "environment", "toml", "flask")
FACTORIES = {
    "amqp": amqp_check,
    "grpc": grpc_check,
    "http": http_check,
    "kafka": kafka_check,
    "ldap": ldap_check,
    "mysql": mysql_check,
    "postgres": postgres_check,
    "redis": redis_check,
    "tcp": tcp_check,
}
#: URL scheme -> dependency type, for sources where the type comes from the URL.
SCHEME_TYPES = {
    "postgres": "postgres",
    "postgresql": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
    "redis": "redis",
    "rediss": "redis",
    "amqp": "amqp",
    "amqps": "amqp",
    "http": "http",
    "https": "http",
    "grpc": "grpc",
    "grpcs": "grpc",
    "kafka": "kafka",
    "ldap": "ldap",
    "ldaps": "ldap",
    "tcp": "tcp",
}


def env_key(name: str, field: str) -> str:
    """``("db-replica", "url")`` -> ``"DEPHEALTH_DB_REPLICA_URL"``."""
    return f"DEPHEALTH_{name.upper().replace('-', '_')}_{field.upper()}"


def flat_keys(name: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """``DEPHEALTH_<DEP>_<FIELD>`` keys for ``fields``; labels as ``..._LABEL_<KEY>``."""
    flat = {env_key(name, k): v for k, v in fields.items() if k != "labels"}
    for key, value in dict(fields.get("labels") or {}).items():
        flat[env_key(name, f"label_{key}")] = value
    return flat


def as_text(value: Any) -> str:
    """A field value as an environment variable holds it."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, timedelta):
        return str(value.total_seconds())
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value)
    return str(value)


def toml_value(value: Any) -> str:
    """A field value written in TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, timedelta):
        return repr(value.total_seconds())
    if isinstance(value, Mapping):
        return (
            "{"
            + ", ".join(f"{toml_string(str(k))} = {toml_value(v)}" for k, v in value.items())
            + "}"
        )
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return toml_string(str(value))


def toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes, but no surrogate pairs and DEL escaped."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def code_dependency(name: str, fields: Mapping[str, Any]) -> Dependency:
    """The factory call a user would write for ``fields``."""
    data = dict(fields)
    kind = data.pop("type", None) or SCHEME_TYPES[str(data["url"]).split("://")[0].lower()]
    return FACTORIES[kind](name, **data)


def build(
    source: str,
    name: str,
    fields: Mapping[str, Any],
    *,
    registry: CollectorRegistry | None = None,
    **engine: Any,
) -> DependencyHealth:
    """An engine with dependency ``name`` declared by ``source``; raises what the source raises."""
    metrics: dict[str, Any] = {"registry": registry} if registry is not None else {"metrics": False}
    if source == "code":
        return DependencyHealth(
            "svc", "team", code_dependency(name, fields), environ={}, **metrics, **engine
        )
    if source == "mapping":
        config = {"name": "svc", "group": "team", "dependencies": {name: dict(fields)}}
        return DependencyHealth.from_config(config, environ={}, **metrics, **engine)
    if source == "environment":
        environ = {"DEPHEALTH_NAME": "svc", "DEPHEALTH_GROUP": "team"}
        environ.update({k: as_text(v) for k, v in flat_keys(name, fields).items()})
        return DependencyHealth(environ=environ, **metrics, **engine)
    if source == "toml":
        lines = [
            "[dephealth]",
            'name = "svc"',
            'group = "team"',
            "",
            f"[dephealth.dependencies.{toml_string(name)}]",
        ]
        lines += [f"{k} = {toml_value(v)}" for k, v in fields.items()]
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "dephealth.toml"
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            return DependencyHealth.from_config(toml_path=path, environ={}, **metrics, **engine)
    if source == "flask":
        return flask_engine(flat_keys(name, fields), registry=registry)
    raise AssertionError(f"unknown source {source}")


def flask_engine(
    config: Mapping[str, Any], *, registry: CollectorRegistry | None = None
) -> DependencyHealth:
    """The engine of a Flask app whose ``app.config`` holds ``config`` (plus name and group)."""
    from flask import Flask

    from dephealth_flask import DepHealth

    app = Flask("config-test")
    app.config.update(
        {"DEPHEALTH_NAME": "svc", "DEPHEALTH_GROUP": "team", "DEPHEALTH_START": "manual"}
    )
    app.config.update(config)
    extension = DepHealth(registry=registry or CollectorRegistry())
    extension.init_app(app)
    return extension.get_engine(app)
