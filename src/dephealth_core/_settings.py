"""Check settings: global defaults, per-dependency overrides, contract validation."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from ._exceptions import ConfigError
from ._validation import Duration, check_duration, check_threshold

if TYPE_CHECKING:
    from ._dependency import Dependency

DEFAULT_INTERVAL = 15.0
DEFAULT_TIMEOUT = 5.0
DEFAULT_INITIAL_DELAY = 0.0
DEFAULT_THRESHOLD = 1


@dataclass(frozen=True, slots=True)
class CheckSettings:
    """How often and how patiently one dependency is checked (seconds and counts)."""

    interval: float = DEFAULT_INTERVAL
    timeout: float = DEFAULT_TIMEOUT
    initial_delay: float = DEFAULT_INITIAL_DELAY
    failure_threshold: int = DEFAULT_THRESHOLD
    success_threshold: int = DEFAULT_THRESHOLD

    @classmethod
    def build(
        cls,
        *,
        interval: Duration | str | None = None,
        timeout: Duration | str | None = None,
        initial_delay: Duration | str | None = None,
        failure_threshold: int | str | None = None,
        success_threshold: int | str | None = None,
        defaults: CheckSettings | None = None,
        dependency: str | None = None,
    ) -> CheckSettings:
        """Validate the given values over ``defaults``; ``None`` keeps the default."""
        base = defaults or cls()
        dep = dependency
        given = {
            "interval": (interval, check_duration),
            "timeout": (timeout, check_duration),
            "initial_delay": (initial_delay, check_duration),
            "failure_threshold": (failure_threshold, check_threshold),
            "success_threshold": (success_threshold, check_threshold),
        }
        values: dict[str, Any] = {
            name: getattr(base, name) if value is None else check(value, field=name, dependency=dep)
            for name, (value, check) in given.items()
        }
        settings = cls(**values)
        if settings.timeout >= settings.interval:
            raise ConfigError(
                f"timeout ({settings.timeout:g}s) must be less than the interval "
                f"({settings.interval:g}s)",
                dependency=dependency,
                field="timeout",
            )
        return settings

    @classmethod
    def for_dependency(cls, dependency: Dependency, defaults: CheckSettings) -> CheckSettings:
        """The settings of ``dependency``: its fields of the same names over ``defaults``."""
        own = {f.name: getattr(dependency, f.name) for f in fields(cls)}
        return cls.build(**own, defaults=defaults, dependency=dependency.name)
