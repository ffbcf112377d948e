"""Threshold logic of one endpoint, free of I/O and clocks.

The first result sets the state directly; later a change needs ``failure_threshold``
failures or ``success_threshold`` successes in a row (dephealth check-behaviour contract).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class ThresholdState:
    """Health of one endpoint: ``None`` until its first result."""

    failure_threshold: int = 1
    success_threshold: int = 1
    healthy: bool | None = None
    consecutive_failures: int = 0
    consecutive_successes: int = 0

    def record(self, success: bool) -> bool:
        """Take one check result; return True when ``healthy`` changed."""
        if success:
            self.consecutive_successes += 1
            self.consecutive_failures = 0
        else:
            self.consecutive_failures += 1
            self.consecutive_successes = 0
        previous = self.healthy
        if previous is None:
            self.healthy = success
        elif previous and self.consecutive_failures >= self.failure_threshold:
            self.healthy = False
        elif not previous and self.consecutive_successes >= self.success_threshold:
            self.healthy = True
        return self.healthy != previous
