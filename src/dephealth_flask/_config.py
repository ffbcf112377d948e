"""``DEPHEALTH_*`` keys of ``app.config``: the engine's flat keys plus the extension's own.

The engine keys are the environment's (``DEPHEALTH_NAME``, ``DEPHEALTH_<DEP>_URL``...). Keys
of a dependency declared in code fill what the code left unset, after the environment; keys of
other dependencies declare them. Precedence: code, then environment, then ``app.config``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from dephealth_core import ConfigError, Dependency, DependencyHealth
from dephealth_core import _config as core_config

#: The extension's own keys: view and start options, never taken for engine settings.
EXTENSION_KEYS = {
    "DEPHEALTH_PREFIX": "prefix",
    "DEPHEALTH_PATHS": "paths",
    "DEPHEALTH_SHOW_DETAILS": "show_details",
    "DEPHEALTH_DETAILS_TOKEN": "details_token",
    "DEPHEALTH_METRICS": "metrics",
    "DEPHEALTH_START": "start",
}


def extension_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """The extension's options found in ``config``, by keyword name."""
    return {
        keyword: config[key]
        for key, keyword in EXTENSION_KEYS.items()
        if config.get(key) is not None
    }


def build_engine(
    config: Mapping[str, Any],
    dependencies: Sequence[Dependency],
    *,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> DependencyHealth:
    """A ``DependencyHealth`` from code (``dependencies``, ``overrides``) and ``config``."""
    env = os.environ if environ is None else environ
    flat = {
        key: value
        for key, value in config.items()
        if isinstance(key, str) and key.startswith(core_config.PREFIX) and key not in EXTENSION_KEYS
    }
    names = [dependency.name for dependency in dependencies]
    merged: list[Dependency] = []
    for dependency in dependencies:
        fields = _take_fields(flat, dependency.name, names)
        allowed = core_config.COMMON_FIELDS | dependency.kind.options
        for field in fields:
            if field not in allowed:
                raise ConfigError(
                    f"unknown setting for a {dependency.type} dependency in app.config",
                    dependency=dependency.name,
                    field=field,
                )
        from_env = core_config.flat_dependency_fields(dependency.name, env)
        dependency = core_config._overlay(dependency, from_env, override=False)
        merged.append(core_config._overlay(dependency, fields, override=False))
    nested = core_config.parse_flat(flat)
    return DependencyHealth.from_config(nested, *merged, environ=env, **overrides)


def _take_fields(flat: dict[str, Any], name: str, names: Sequence[str]) -> dict[str, Any]:
    """Remove and return the ``DEPHEALTH_<NAME>_*`` keys of one dependency as field names."""
    prefix = f"{core_config.PREFIX}{core_config.env_name(name)}_"
    # "redis" must not take the keys of "redis-cache" when both are declared.
    longer = [
        f"{core_config.PREFIX}{core_config.env_name(other)}_"
        for other in names
        if other != name and core_config.env_name(other).startswith(core_config.env_name(name))
    ]
    fields: dict[str, Any] = {}
    labels: dict[str, Any] = {}
    for key in [k for k in flat if k.startswith(prefix)]:
        if any(key.startswith(other) for other in longer):
            continue
        value = flat.pop(key)
        param = key[len(prefix) :]
        if param.startswith("LABEL_") and len(param) > 6:
            labels[param[6:].lower()] = value
        else:
            lowered = param.lower()
            fields["interval" if lowered == "check_interval" else lowered] = value
    if labels:
        fields["labels"] = labels
    return fields
