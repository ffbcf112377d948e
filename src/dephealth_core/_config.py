"""Configuration from the environment, mappings and TOML files, merged once.

The same keys everywhere. Flat form (environment variables, Flask config): see
:mod:`._flat_keys`, its one parser. Nested form (Django settings, TOML)::

    {"name": ..., "group": ..., "check_interval": 15,
     "dependencies": {"postgres-main": {"type": "postgres", "url": ..., "critical": true}}}

Precedence: code, then environment, then mapping or file, then defaults.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ._dependency import CommonOptions, Dependency
from ._exceptions import ConfigError
from ._flat_keys import FIELD_ALIASES, GLOBAL_KEYS, PREFIX, env_name, parse_flat_keys

__all__ = [
    "COMMON_FIELDS",
    "GLOBAL_KEYS",
    "PREFIX",
    "MergedSettings",
    "build_dependency",
    "env_name",
    "fill_unset",
    "load_toml",
    "merge_environment",
    "merge_settings",
    "parse_flat",
    "parse_flat_keys",
    "parse_mapping",
    "read_flat_config",
]

#: Fields every dependency has, beside its kind's options.
COMMON_FIELDS = frozenset({"type", "url", "host", "port", "critical"}) | frozenset(
    CommonOptions.__annotations__
)


def build_dependency(name: str, fields: Mapping[str, Any]) -> Dependency:
    """Build a dependency from a field mapping (its ``type`` or URL scheme picks the kind)."""
    from ._kinds import FACTORIES, KINDS
    from ._urls import parse_url

    data = {FIELD_ALIASES.get(k, k): v for k, v in fields.items()}
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
    kind = KINDS[str(dep_type).lower()]
    allowed = COMMON_FIELDS | kind.options | (kind.keywords & {"pool", "client"})
    for key in data:
        if key in ("pool", "client") and key not in allowed:
            raise ConfigError(
                f"{kind.type} checks have no pool mode: a {key} cannot be given",
                dependency=name,
                field=key,
            )
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


@dataclass(frozen=True)
class MergedSettings:
    """An engine's settings after merging code, environment and file.

    Attributes:
        keywords: ``DependencyHealth`` keywords (``name``, ``group``, ``check_interval``...,
            plus any other keyword code gave); the global ones are absent when nobody set them.
        dependencies: code's dependencies (filled from the environment), then the file's
            ones code did not declare (the environment over them), then those declared only
            in the environment.
    """

    keywords: dict[str, Any]
    dependencies: list[Dependency]


def merge_settings(
    code: Mapping[str, Any],
    dependencies: Iterable[Dependency],
    *,
    environ: Mapping[str, str],
    file: Mapping[str, Any] | None = None,
) -> MergedSettings:
    """Merge an engine's configuration: code, then the environment, then ``file``, then defaults.

    Args:
        code: keywords given in code; ``None`` values are unset.
        dependencies: the dependencies declared in code.
        environ: where ``DEPHEALTH_*`` variables are read.
        file: a nested configuration (a settings mapping or a TOML file's table).
    """
    keywords, file_dependencies = parse_mapping(file) if file else ({}, [])
    code_dependencies = list(dependencies)
    code_names = {dependency.name for dependency in code_dependencies}
    from_file = [dep for dep in file_dependencies if dep.name not in code_names]
    flat = parse_flat_keys(environ, [dep.name for dep in [*code_dependencies, *from_file]])
    keywords.update(flat.globals)
    keywords.update({key: value for key, value in code.items() if value is not None})
    merged = [
        *(fill_unset(dep, flat.dependencies[dep.name], strict=False) for dep in code_dependencies),
        *(_environment_over(dep, flat.dependencies[dep.name]) for dep in from_file),
        *(build_dependency(name, flat.dependencies[name]) for name in flat.declared),
    ]
    return MergedSettings(keywords, merged)


def merge_environment(
    dependencies: list[Dependency], environ: Mapping[str, str]
) -> list[Dependency]:
    """Fill what code left unset from ``DEPHEALTH_<DEP>_*``; add flat-only dependencies."""
    return merge_settings({}, dependencies, environ=environ).dependencies


def fill_unset(
    dependency: Dependency, fields: Mapping[str, Any], *, strict: bool = True
) -> Dependency:
    """Lay flat ``fields`` under a dependency from code: they fill only what it left unset.

    Args:
        dependency: the dependency declared in code.
        fields: its flat fields (from :func:`parse_flat_keys`).
        strict: a field the dependency's kind does not have is a ConfigError; ``False``
            ignores it (the environment holds other programs' keys).
    """
    allowed = _allowed(dependency)
    unknown = [key for key in fields if key not in allowed]
    if unknown and strict:
        raise ConfigError(
            f"unknown setting for a {dependency.type} dependency",
            dependency=dependency.name,
            field=unknown[0],
        )
    known = {key: value for key, value in fields.items() if key in allowed}
    return _overlay(dependency, known, override=False)


def _allowed(dependency: Dependency) -> frozenset[str]:
    return COMMON_FIELDS | dependency.kind.options


def _environment_over(dependency: Dependency, fields: Mapping[str, Any]) -> Dependency:
    """Lay flat fields from the environment over a dependency from a mapping or file."""
    allowed = _allowed(dependency)
    return _overlay(dependency, {k: v for k, v in fields.items() if k in allowed}, override=True)


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
    allowed = {*GLOBAL_KEYS.values(), "interval", "dependencies"}
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


def parse_flat(config: Mapping[str, Any], *, ignore: Iterable[str] = ()) -> dict[str, Any]:
    """Turn flat ``DEPHEALTH_*`` keys (a Flask config) into the nested form."""
    return read_flat_config(config, (), environ={}, ignore=ignore)[0]


def read_flat_config(
    config: Mapping[str, Any],
    dependencies: Iterable[Dependency],
    *,
    environ: Mapping[str, str],
    ignore: Iterable[str] = (),
) -> tuple[dict[str, Any], list[Dependency]]:
    """Read an app's flat ``DEPHEALTH_*`` config (Flask's form) under code and environment.

    The keys of a dependency declared in code fill what code and then the environment left
    unset; the keys of other dependencies declare them. Hand the result to
    :meth:`DependencyHealth.from_config`: ``from_config(nested, *dependencies, ...)``.

    Args:
        config: the flat mapping (``app.config``); other keys are skipped.
        dependencies: the dependencies declared in code.
        environ: where ``DEPHEALTH_*`` variables are read.
        ignore: flat keys that are the adapter's own options, not the engine's.

    Returns:
        The nested configuration of the globals and the declared dependencies, and code's
        dependencies with the environment and then ``config`` laid under them.

    Raises:
        ConfigError: for a key of a code dependency its kind does not have.
    """
    code = list(dependencies)
    names = [dependency.name for dependency in code]
    flat = parse_flat_keys(config, names, ignore=ignore)
    from_env = parse_flat_keys(environ, names)
    filled = [
        fill_unset(
            fill_unset(dep, from_env.dependencies[dep.name], strict=False),
            flat.dependencies[dep.name],
        )
        for dep in code
    ]
    nested: dict[str, Any] = dict(flat.globals)
    if flat.declared:
        nested["dependencies"] = {name: flat.dependencies[name] for name in flat.declared}
    return nested, filled
