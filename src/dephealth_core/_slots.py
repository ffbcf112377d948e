"""The slots checks are due in, and how late they start against them.

- **Slots.** Due times are on a grid of ``GRID`` seconds, so endpoints due within the same 10 ms
  start in one wakeup. The interval runs from the scheduled start (the slot), so lateness does
  not accumulate.
- **Honest lateness.** A check starts ``lateness`` seconds after its slot, which is measured and
  exported. The schedule never moves to "now": a check that starts late is followed by the next
  slot of the same phase, and slots whose whole interval went by before the check could even
  start are *missed*, counted, and not run (so a loop that cannot keep up does not pile work up).
"""

from __future__ import annotations

import bisect
import math

from ._snapshot import LATENCY_BUCKETS, LatencyHistogram, ScheduleStats

#: Due times are multiples of this many seconds (see the module docstring).
GRID = 0.01


def align(moment: float) -> float:
    """``moment`` rounded up to the grid."""
    return math.ceil(moment / GRID - 1e-9) * GRID


def next_slot(slot: float, started: float, interval: float) -> tuple[float, int]:
    """The slot after ``slot`` for a check that started at ``started``, and the slots missed.

    Slots whose time had come and gone by one whole interval before the check started are
    missed: with ``interval`` 1, a check for slot 2 that starts at 3.7 misses slot 3.
    """
    missed = int((started - slot) // interval) if started - slot >= interval else 0
    return slot + (missed + 1) * interval, missed


class Lateness:
    """Start lateness of every check, as histogram counts, plus the slots missed."""

    __slots__ = ("count", "counts", "last", "missed", "total")

    def __init__(self) -> None:
        self.counts = [0] * (len(LATENCY_BUCKETS) + 1)
        self.total = 0.0
        self.count = 0
        self.missed = 0
        self.last = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.total += seconds
        self.count += 1
        self.last = seconds

    def stats(self) -> ScheduleStats:
        """An immutable copy, for a snapshot."""
        histogram = LatencyHistogram(tuple(self.counts), self.total, self.count)
        return ScheduleStats(histogram, self.missed, self.last)
