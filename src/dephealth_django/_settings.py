"""The ``DEPHEALTH`` setting, read when used so that ``override_settings`` applies.

::

    DEPHEALTH = {
        "name": "my-service", "group": "my-team", "check_interval": 15, "timeout": 5,
        "dependencies": {"payment-api": {"type": "http", "url": "...", "critical": True}},
        "prefix": "", "paths": {"metrics": None}, "show_details": "never",
        "details_token": None, "metrics": False,
        "discover": True,                       # or {"databases": True, "caches": False}
        "databases": {"replica": False, "default": {"name": "postgres-main"}},
        "caches": {"default": {"critical": True}},
        "autostart": True,
    }
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dephealth_core import ConfigError, ViewOptions, check_bool
from dephealth_core.typing import CommonOptions

ENGINE_KEYS = frozenset(
    {
        "name",
        "group",
        "check_interval",
        "interval",
        "timeout",
        "initial_delay",
        "failure_threshold",
        "success_threshold",
        "share_workers",
        "dependencies",
    }
)
#: The discovery and start options; the view options are those of ``ViewOptions``.
DJANGO_KEYS = frozenset({"discover", "databases", "caches", "autostart"})
ADAPTER_KEYS = frozenset(ViewOptions.keywords()) | DJANGO_KEYS
ALIAS_KEYS = frozenset({"name", "critical"}) | frozenset(CommonOptions.__annotations__)


@dataclass(frozen=True)
class DjangoOptions(ViewOptions):
    """``DEPHEALTH`` taken apart: the view options, engine settings and discovery options."""

    engine: Mapping[str, Any] = field(default_factory=dict)
    discover_databases: bool = True
    discover_caches: bool = True
    databases: Mapping[str, Any] = field(default_factory=dict)
    caches: Mapping[str, Any] = field(default_factory=dict)
    autostart: bool = True


def read_options(config: Any = None) -> DjangoOptions:
    """Parse ``config`` (default: ``settings.DEPHEALTH``, or ``{}`` when unset).

    Raises:
        ConfigError: naming the offending field (and alias) for any bad value.
    """
    if config is None:
        from django.conf import settings

        config = getattr(settings, "DEPHEALTH", None) or {}
    if not isinstance(config, Mapping):
        raise ConfigError(f"DEPHEALTH must be a dict, got {type(config).__name__}")
    for key in config:
        if key not in ENGINE_KEYS and key not in ADAPTER_KEYS:
            raise ConfigError("unknown setting", field=str(key))
    engine = {key: value for key, value in config.items() if key in ENGINE_KEYS}
    discover = config.get("discover", True)
    if isinstance(discover, Mapping):
        unknown = set(discover) - {"databases", "caches"}
        if unknown:
            raise ConfigError(f"unknown keys {sorted(map(str, unknown))}", field="discover")
        discover_databases = check_bool(discover.get("databases", True), field="discover")
        discover_caches = check_bool(discover.get("caches", True), field="discover")
    else:
        discover_databases = discover_caches = check_bool(discover, field="discover")
    views = {key: config[key] for key in ViewOptions.keywords() if key in config}
    show_details = views.get("show_details")
    if isinstance(show_details, str) and show_details not in ViewOptions.show_details_modes:
        views["show_details"] = _import_callable(show_details)
    return DjangoOptions(
        **views,
        engine=engine,
        discover_databases=discover_databases,
        discover_caches=discover_caches,
        databases=_alias_options(config.get("databases", {}), "databases"),
        caches=_alias_options(config.get("caches", {}), "caches"),
        autostart=check_bool(config.get("autostart", True), field="autostart"),
    )


def _import_callable(path: str) -> Callable[[Any], bool]:
    from django.utils.module_loading import import_string

    try:
        target = import_string(path)
    except (ImportError, ValueError, TypeError):  # ".x": empty module name; "..x": relative
        raise ConfigError(
            "expected 'never', 'token', 'always', a callable or its dotted path; "
            f"cannot import {path!r}",
            field="show_details",
        ) from None
    if not callable(target):
        raise ConfigError(f"{path!r} is not callable", field="show_details")
    return target  # type: ignore[no-any-return]


def alias_dependency(field_name: str, alias: Any) -> str:
    """The dependency name an alias gets in the metrics: ``db-default``, ``cache-default``."""
    from ._discovery import dependency_name

    return dependency_name("db" if field_name == "databases" else "cache", str(alias))


def _alias_options(value: Any, field_name: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError("must be a dict of alias -> False or options", field=field_name)
    result: dict[str, Any] = {}
    for alias, options in value.items():
        if options is False or options is True:
            result[str(alias)] = {} if options else False
            continue
        if not isinstance(options, Mapping):
            raise ConfigError(
                f"alias {alias!r}: expected False or a dict of options", field=field_name
            )
        for key in options:
            if key not in ALIAS_KEYS:
                raise ConfigError(
                    f"alias {alias!r}: unknown option; known: {', '.join(sorted(ALIAS_KEYS))}",
                    dependency=str(options.get("name") or alias_dependency(field_name, alias)),
                    field=str(key),
                )
        result[str(alias)] = dict(options)
    return result
