"""What every pool-mode checker shares: how it spends the check's timeout.

(The error for a pool or client of an unsupported type is ``Kind.supported_sources``'s,
raised by :meth:`Dependency.check_source`.)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TimeoutShare:
    """How a pool-mode check divides its timeout.

    A borrow gets the timeout less a margin (a quarter of it, at most half a second), so a
    pool whose connections all stay busy reads ``pool_exhausted`` before the check's own
    deadline. Half of that margin is left to the probe that asks, after a failed borrow or
    ping, whether the server refuses connections at all (client libraries retry a refused
    connection far past a check's timeout).
    """

    total: float

    @property
    def borrow(self) -> float:
        """How long a borrow from the pool may wait."""
        return max(self.total - min(0.5, self.total / 4), self.total / 2)

    @property
    def probe(self) -> float:
        """How long the refused-connection probe may take."""
        return max((self.total - self.borrow) / 2, 0.05)

    @property
    def before_probe(self) -> float:
        """The whole timeout but the probe's share: for a check that borrows and runs in one
        call (a client's ``ping()``), then may need the probe."""
        return self.total - self.probe
