"""Configuration from the environment, mappings and TOML files.

The same keys everywhere. Flat form (environment variables, Flask config)::

    DEPHEALTH_NAME, DEPHEALTH_GROUP, DEPHEALTH_CHECK_INTERVAL, DEPHEALTH_TIMEOUT, ...
    DEPHEALTH_<DEP>_URL, DEPHEALTH_<DEP>_CRITICAL, DEPHEALTH_<DEP>_LABEL_<KEY>, ...

where ``<DEP>`` is the dependency name in upper case with ``-`` as ``_``. Nested form (Django
settings, TOML)::

    {"name": ..., "group": ..., "check_interval": 15,
     "dependencies": {"postgres-main": {"type": "postgres", "url": ..., "critical": true}}}

Precedence: code, then environment, then mapping or file, then defaults.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Iterable, Mapping
from typing import Any

from ._dependency import Dependency
from ._exceptions import ConfigError

PREFIX = "DEPHEALTH_"

#: Global keys: flat name -> keyword of ``DependencyHealth``.
GLOBAL_KEYS = {
    "NAME": "name",
    "GROUP": "group",
    "CHECK_INTERVAL": "interval",
    "TIMEOUT": "timeout",
    "INITIAL_DELAY": "initial_delay",
    "FAILURE_THRESHOLD": "failure_threshold",
    "SUCCESS_THRESHOLD": "success_threshold",
}

#: Fields every dependency has, beside its kind's options.
COMMON_FIELDS = frozenset(
    {
        "type",
        "url",
        "host",
        "port",
        "critical",
        "interval",
        "timeout",
        "initial_delay",
        "failure_threshold",
        "success_threshold",
        "labels",
    }
)
_FIELD_ALIASES = {"check_interval": "interval"}
_DEPENDENCY_MARKERS = ("_URL", "_TYPE", "_HOST")


def env_name(dependency: str) -> str:
    """``"postgres-main"`` -> ``"POSTGRES_MAIN"``."""
    return dependency.upper().replace("-", "_")


def global_settings_from_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The instance-level ``DEPHEALTH_*`` values, under ``DependencyHealth`` keyword names."""
    found: dict[str, str] = {}
    for flat, key in GLOBAL_KEYS.items():
        value = environ.get(PREFIX + flat)
        if value is not None and value.strip():
            found[key] = value.strip()
    return found


def _decode(value: str) -> Any:
    text = value.strip()
    if text[:1] in ("{", "["):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def flat_dependency_fields(
    dependency: str, environ: Mapping[str, str], allowed: frozenset[str] | None = None
) -> dict[str, Any]:
    """The ``DEPHEALTH_<DEP>_*`` values of one dependency, as lower-case field names.

    With ``allowed``, other parameters are ignored: ``DEPHEALTH_DB_REPLICA_URL`` belongs to
    ``db-replica``, not to ``db``. Global keys (``DEPHEALTH_CHECK_INTERVAL``) never count.
    """
    prefix = f"{PREFIX}{env_name(dependency)}_"
    globals_ = {PREFIX + flat for flat in GLOBAL_KEYS}
    fields: dict[str, Any] = {}
    labels: dict[str, str] = {}
    for key, value in environ.items():
        if not key.startswith(prefix) or not isinstance(value, str) or key in globals_:
            continue
        param = key[len(prefix) :]
        if param.startswith("LABEL_") and len(param) > 6:
            labels[param[6:].lower()] = value
            continue
        name = _FIELD_ALIASES.get(param.lower(), param.lower())
        if allowed is not None and name not in allowed:
            continue
        fields[name] = _decode(value)
    if labels:
        fields["labels"] = labels
    return fields


def flat_dependency_names(environ: Mapping[str, str], known: Iterable[str]) -> list[str]:
    """Dependency names declared only in flat form (they have a URL, TYPE or HOST key)."""
    taken = {env_name(name) for name in known}
    globals_ = {PREFIX + flat for flat in GLOBAL_KEYS}
    found: list[str] = []
    for key in sorted(environ):
        if not key.startswith(PREFIX) or key in globals_ or "_LABEL_" in key:
            continue
        for marker in _DEPENDENCY_MARKERS:
            if key.endswith(marker):
                upper = key[len(PREFIX) : -len(marker)]
                if upper and upper not in taken:
                    taken.add(upper)
                    found.append(upper.lower().replace("_", "-"))
                break
    return found


def build_dependency(name: str, fields: Mapping[str, Any]) -> Dependency:
    """Build a dependency from a field mapping (its ``type`` or URL scheme picks the kind)."""
    from ._kinds import FACTORIES, KINDS
    from ._urls import parse_url

    data = {_FIELD_ALIASES.get(k, k): v for k, v in fields.items()}
    dep_type = data.pop("type", None)
    if dep_type is None and data.get("url") is not None:
        dep_type = parse_url(data["url"], dependency=name).type
    if dep_type is None:
        raise ConfigError(
            "missing type (or a URL to derive it from)", dependency=name, field="type"
        )
    factory = FACTORIES.get(str(dep_type).lower())
    if factory is None:
        known = ", ".join(sorted(FACTORIES))
        raise ConfigError(
            f"unknown dependency type {dep_type!r}; known types: {known}",
            dependency=name,
            field="type",
        )
    allowed = COMMON_FIELDS | KINDS[str(dep_type).lower()].options | {"pool", "client"}
    for key in data:
        if key not in allowed:
            raise ConfigError(
                f"unknown setting for a {dep_type} dependency", dependency=name, field=key
            )
    return factory(name, **data)


def _overlay(dependency: Dependency, fields: Mapping[str, Any], *, override: bool) -> Dependency:
    """Lay ``fields`` over a dependency: fill unset values, or replace them when ``override``."""
    if not fields:
        return dependency
    changes: dict[str, Any] = {}
    options = dict(dependency.options)
    for key, value in fields.items():
        if key == "type":
            continue
        if key == "labels":
            current = dict(dependency.labels or {})
            merged = {**current, **value} if override else {**value, **current}
            changes["labels"] = merged
        elif key in COMMON_FIELDS:
            addressed = dependency.url is not None or dependency.host is not None
            if key in ("url", "host", "port") and addressed and not override:
                continue  # the address given in code wins as a whole
            if override or getattr(dependency, key) is None:
                changes[key] = value
        elif key in dependency.kind.options and (override or key not in options):
            options[key] = value
    if options != dict(dependency.options):
        changes["options"] = options
    if "url" in changes and dependency.host is not None and "host" not in fields:
        changes["host"] = None
        changes["port"] = None if "port" not in fields else changes.get("port")
    return dependency.replace(**changes) if changes else dependency


def merge_environment(
    dependencies: list[Dependency], environ: Mapping[str, str]
) -> list[Dependency]:
    """Fill what code left unset from ``DEPHEALTH_<DEP>_*``; add flat-only dependencies."""
    merged = [
        _overlay(dep, flat_dependency_fields(dep.name, environ, _allowed(dep)), override=False)
        for dep in dependencies
    ]
    for name in flat_dependency_names(environ, [dep.name for dep in dependencies]):
        merged.append(build_dependency(name, flat_dependency_fields(name, environ)))
    return merged


def _allowed(dependency: Dependency) -> frozenset[str]:
    return COMMON_FIELDS | dependency.kind.options


def environment_over(dependency: Dependency, environ: Mapping[str, str]) -> Dependency:
    """Apply ``DEPHEALTH_<DEP>_*`` over a dependency that came from a mapping or file."""
    fields = flat_dependency_fields(dependency.name, environ, _allowed(dependency))
    return _overlay(dependency, fields, override=True)


def load_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a TOML configuration file; its ``[dephealth]`` table if it has one."""
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(
            f"cannot read configuration file {os.fspath(path)!r}: {exc.strerror}"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML in {os.fspath(path)!r}: {exc}") from None
    table = data.get("dephealth", data)
    if not isinstance(table, dict):
        raise ConfigError("the [dephealth] entry must be a table", field="dephealth")
    return table


def parse_mapping(config: Mapping[str, Any]) -> tuple[dict[str, Any], list[Dependency]]:
    """Split a nested configuration into ``DependencyHealth`` keywords and dependencies."""
    if not isinstance(config, Mapping):
        raise ConfigError(f"configuration must be a mapping, got {type(config).__name__}")
    kwargs: dict[str, Any] = {}
    dependencies: list[Dependency] = []
    allowed = {*GLOBAL_KEYS.values(), "check_interval", "dependencies"}
    for key, value in config.items():
        if key not in allowed:
            raise ConfigError("unknown setting", field=str(key))
        if key == "dependencies":
            if not isinstance(value, Mapping):
                raise ConfigError("must be a table of dependencies", field="dependencies")
            for name, fields in value.items():
                if not isinstance(fields, Mapping):
                    raise ConfigError(
                        "must be a table of settings", dependency=str(name), field="dependencies"
                    )
                dependencies.append(build_dependency(str(name), fields))
        else:
            kwargs["check_interval" if key == "interval" else key] = value
    return kwargs, dependencies


def parse_flat(config: Mapping[str, Any]) -> dict[str, Any]:
    """Turn flat ``DEPHEALTH_*`` keys (a Flask config) into the nested form."""
    flat = {k: v for k, v in config.items() if isinstance(k, str) and k.startswith(PREFIX)}
    nested: dict[str, Any] = {}
    for upper, key in GLOBAL_KEYS.items():
        if PREFIX + upper in flat and flat[PREFIX + upper] is not None:
            nested["check_interval" if key == "interval" else key] = flat[PREFIX + upper]
    as_text = {k: v if isinstance(v, str) else json.dumps(v) for k, v in flat.items()}
    dependencies: dict[str, Any] = {}
    for name in flat_dependency_names(as_text, []):
        fields: dict[str, Any] = {}
        prefix = f"{PREFIX}{env_name(name)}_"
        for key, value in flat.items():
            if key.startswith(prefix):
                param = key[len(prefix) :]
                if param.startswith("LABEL_"):
                    fields.setdefault("labels", {})[param[6:].lower()] = value
                else:
                    lowered = param.lower()
                    fields[_FIELD_ALIASES.get(lowered, lowered)] = value
        dependencies[name] = fields
    if dependencies:
        nested["dependencies"] = dependencies
    return nested
