"""Medians and spreads, the same way in every benchmark script (no third-party import)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any


def summary(values: Sequence[float], digits: int = 3) -> dict[str, Any]:
    """``median``, ``min``, ``max``, ``n`` and ``spread_pct`` ((max - min) / median, in %)."""
    if not values:
        return {"median": None, "min": None, "max": None, "n": 0, "spread_pct": None}
    median = statistics.median(values)
    spread = (max(values) - min(values)) / median * 100 if median else None
    return {
        "median": round(median, digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "n": len(values),
        "spread_pct": None if spread is None else round(spread, 1),
    }


def paired(numerators: Sequence[float], denominators: Sequence[float]) -> dict[str, Any]:
    """Ratios taken within each round (same minute, same load elsewhere), summarised."""
    return summary([a / b for a, b in zip(numerators, denominators, strict=True) if b])


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 3)
