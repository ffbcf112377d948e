"""System checks: ``manage.py check`` reports bad ``DEPHEALTH`` settings.

Building the configuration validates everything and connects to nothing; a
:class:`~dephealth_core.ConfigError` becomes one error that names the dependency and field.

- ``dephealth.E001``: a dependency's setting is invalid (explicit or discovered).
- ``dephealth.E002``: a global, view or discovery setting is invalid.
- ``dephealth.W001``: a discovered Redis cache alias cannot be checked (its ``LOCATION``
  names no TCP address, a Unix socket say); the warning names the alias and why.
"""

from __future__ import annotations

from typing import Any

from django.core import checks

from dephealth_core import ConfigError


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Validate ``DEPHEALTH`` (with the discovered aliases) without connecting."""
    from ._discovery import Unchecked
    from ._runtime import build_runtime

    unchecked: list[Unchecked] = []
    try:
        runtime = build_runtime(metrics=False, unchecked=unchecked)
    except ConfigError as exc:
        return [config_error_message(exc)]
    runtime.close_checkers()
    return [unchecked_warning(item) for item in unchecked]


def unchecked_warning(item: Any) -> checks.Warning:
    """A system check warning for a discovered alias that cannot be checked."""
    setting = "CACHES" if item.kind == "cache" else "DATABASES"
    return checks.Warning(
        f"DEPHEALTH: {item.kind} alias {item.alias!r} is not checked: {item.reason}",
        hint=f"Point {setting}[{item.alias!r}] at a TCP address, or leave it out with "
        f"DEPHEALTH = {{{'caches' if item.kind == 'cache' else 'databases'!r}: "
        f"{{{item.alias!r}: False}}}}.",
        id="dephealth.W001",
    )


def config_error_message(exc: ConfigError) -> checks.Error:
    """A system check error for a configuration error."""
    field = exc.field or "DEPHEALTH"
    if exc.dependency is not None:
        return checks.Error(
            f"DEPHEALTH: dependency {exc.dependency!r}, field {field!r}: {_reason(exc)}",
            hint=f"Fix {field!r} of {exc.dependency!r} in settings.DEPHEALTH "
            "(or its DEPHEALTH_* environment variable).",
            id="dephealth.E001",
        )
    return checks.Error(
        f"DEPHEALTH: field {field!r}: {_reason(exc)}",
        hint=f"Fix {field!r} in settings.DEPHEALTH.",
        id="dephealth.E002",
    )


def _reason(exc: ConfigError) -> str:
    text = str(exc)
    # ConfigError prefixes "dependency 'x', field 'y': "; the message says it already.
    _, sep, rest = text.partition(": ")
    return rest if sep and (exc.dependency is not None or exc.field is not None) else text
