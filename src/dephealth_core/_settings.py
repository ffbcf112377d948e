"""Check settings: global defaults, per-dependency overrides, contract validation."""

from __future__ import annotations

from dataclasses import dataclass

from ._exceptions import ConfigError
from ._validation import Duration, check_duration, check_threshold

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
        settings = cls(
            interval=base.interval
            if interval is None
            else check_duration(interval, field="interval", dependency=dep),
            timeout=base.timeout
            if timeout is None
            else check_duration(timeout, field="timeout", dependency=dep),
            initial_delay=base.initial_delay
            if initial_delay is None
            else check_duration(initial_delay, field="initial_delay", dependency=dep),
            failure_threshold=base.failure_threshold
            if failure_threshold is None
            else check_threshold(failure_threshold, field="failure_threshold", dependency=dep),
            success_threshold=base.success_threshold
            if success_threshold is None
            else check_threshold(success_threshold, field="success_threshold", dependency=dep),
        )
        if settings.timeout >= settings.interval:
            raise ConfigError(
                f"timeout ({settings.timeout:g}s) must be less than the interval "
                f"({settings.interval:g}s)",
                dependency=dependency,
                field="timeout",
            )
        return settings
