"""Validation of names, labels, durations, thresholds and ports, with the contract's ranges."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import Final

from ._exceptions import ConfigError

NAME_PATTERN: Final = re.compile(r"[a-z][a-z0-9-]{0,62}")
LABEL_KEY_PATTERN: Final = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
#: Labels the contract owns, plus those our families add after the custom ones.
RESERVED_LABELS: Final = frozenset(
    {"name", "group", "dependency", "type", "host", "port", "critical", "status", "detail", "le"}
)

#: (minimum, maximum) in seconds, from the dephealth check-behaviour contract.
DURATION_RANGES: Final[dict[str, tuple[float, float]]] = {
    "interval": (1.0, 600.0),
    "timeout": (0.1, 30.0),
    "initial_delay": (0.0, 300.0),
}
THRESHOLD_RANGE: Final = (1, 10)

Duration = timedelta | float | int


def check_name(value: object, *, what: str, dependency: str | None = None) -> str:
    """Validate a service, group or dependency name (``[a-z][a-z0-9-]{0,62}``)."""
    field = "group" if what == "group" else "name"
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{what} name is missing", dependency=dependency, field=field)
    if NAME_PATTERN.fullmatch(value) is None:
        raise ConfigError(
            f"invalid {what} name {value!r}: use 1-63 characters of a-z, 0-9 and '-', "
            "starting with a letter",
            dependency=dependency,
            field=field,
        )
    return value


def to_seconds(value: object, *, field: str, dependency: str | None = None) -> float:
    """Turn a ``timedelta`` or a number of seconds (or a numeric string) into seconds."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, bool):
        raise ConfigError(
            f"expected seconds or a timedelta, got {value!r}", dependency=dependency, field=field
        )
    elif isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        try:
            seconds = float(value.strip())
        except ValueError:
            raise ConfigError(
                f"expected a number of seconds, got {value!r}", dependency=dependency, field=field
            ) from None
    else:
        raise ConfigError(
            f"expected seconds or a timedelta, got {type(value).__name__}",
            dependency=dependency,
            field=field,
        )
    if not math.isfinite(seconds):
        raise ConfigError(
            f"expected a finite duration, got {value!r}", dependency=dependency, field=field
        )
    return seconds


def check_duration(value: object, *, field: str, dependency: str | None = None) -> float:
    """Validate a duration against the contract's range for ``field``; return seconds."""
    seconds = to_seconds(value, field=field, dependency=dependency)
    low, high = DURATION_RANGES[field]
    if not low <= seconds <= high:
        raise ConfigError(
            f"{seconds:g}s is out of range: allowed {low:g}s to {high:g}s",
            dependency=dependency,
            field=field,
        )
    return seconds


def check_threshold(value: object, *, field: str, dependency: str | None = None) -> int:
    """Validate a failure or success threshold (an integer from 1 to 10)."""
    if isinstance(value, str) and value.strip().isdecimal():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"expected an integer, got {value!r}", dependency=dependency, field=field)
    low, high = THRESHOLD_RANGE
    if not low <= value <= high:
        raise ConfigError(
            f"{value} is out of range: allowed {low} to {high}", dependency=dependency, field=field
        )
    return value


def check_positive(value: object, *, field: str) -> int:
    """Validate a count of at least one (``sync_workers``, ``max_in_flight``)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError("must be a positive integer", field=field)
    return value


#: The one spelling table of booleans, for settings and query strings alike (any case).
BOOLEAN_WORDS: Final[Mapping[str, bool]] = MappingProxyType(
    {
        "yes": True,
        "true": True,
        "on": True,
        "1": True,
        "no": False,
        "false": False,
        "off": False,
        "0": False,
    }
)


def check_bool(value: object, *, field: str, dependency: str | None = None) -> bool:
    """Accept a bool or yes/no, true/false, on/off, 1/0 (any case, surrounding blanks ignored)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        found = BOOLEAN_WORDS.get(value.strip().lower())
        if found is not None:
            return found
    raise ConfigError(
        f"expected yes/no, true/false, on/off or 1/0, got {value!r}",
        dependency=dependency,
        field=field,
    )


def check_labels(value: object, *, dependency: str | None = None) -> dict[str, str]:
    """Validate custom labels: Prometheus-style keys that do not shadow a required label."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"expected a mapping of label names to values, got {type(value).__name__}",
            dependency=dependency,
            field="labels",
        )
    labels: dict[str, str] = {}
    for key, label_value in value.items():
        if not isinstance(key, str) or LABEL_KEY_PATTERN.fullmatch(key) is None:
            raise ConfigError(f"invalid label name {key!r}", dependency=dependency, field="labels")
        if key in RESERVED_LABELS:
            raise ConfigError(
                f"label {key!r} is reserved and cannot be overridden",
                dependency=dependency,
                field="labels",
            )
        if not isinstance(label_value, str | int | float) or isinstance(label_value, bool):
            raise ConfigError(
                f"label {key!r} needs a string value, got {type(label_value).__name__}",
                dependency=dependency,
                field="labels",
            )
        labels[key] = str(label_value)
    return dict(sorted(labels.items()))
