"""What the report's sections share: the collected results and number formatting."""

from __future__ import annotations

from typing import Any

NOT_MEASURED = "not measured"


class Results:
    """The results of one ``scripts/bench`` run, by benchmark name."""

    def __init__(self, found: dict[str, Any]) -> None:
        self.found = found

    def data(self, name: str) -> dict[str, Any] | None:
        entry = self.found.get(name)
        return None if entry is None else entry["data"]

    def reason(self, name: str) -> str:
        entry = self.found.get(name)
        if entry is None:
            return "not run"
        return str(entry["reason"] or "")

    def command(self, name: str) -> str:
        entry = self.found.get(name) or {}
        run = entry.get("run") or {}
        command = run.get("command")
        if not command:
            return ""
        when = f" on {run['finished']}" if run.get("finished") else ""
        load = ((entry.get("data") or {}).get("config") or {}).get("load_average")
        busy = f", load average {load[0]:.1f} at its end" if load else ""
        return f"Produced by `python {command} --json`{when} ({run.get('seconds', '?')} s{busy})."

    def missing(self, name: str, what: str) -> str:
        """The paragraph that stands where a benchmark's figures would be."""
        return f"**{what}: not measured in this run** ({self.reason(name)}).\n"


def num(value: float | None, digits: int = 3) -> str:
    """A figure with ``digits`` significant digits (thousands grouped); ``-`` for none."""
    if value is None:
        return "-"
    if abs(value) >= 10**digits:
        return f"{value:,.0f}"
    text = f"{value:.{digits}g}"
    if "e" in text:
        return f"{value:,.0f}"
    return text


def med(summary: dict[str, Any] | None, digits: int = 3) -> str:
    """``median (min..max)`` from a summary, or ``median (1 run)``."""
    if not summary or summary.get("median") is None:
        return "-"
    median = num(summary["median"], digits)
    if summary.get("n", 0) <= 1:
        return f"{median} (1 run)"
    return f"{median} ({num(summary['min'], digits)}..{num(summary['max'], digits)})"


def median(summary: dict[str, Any] | None) -> float | None:
    if not summary:
        return None
    value = summary.get("median")
    return None if value is None else float(value)


def verdict(value: float | None, limit: float, higher_is_better: bool) -> str:
    """``met`` or ``missed`` for a median against its target; ``-`` when not measured."""
    if value is None:
        return "-"
    ok = value >= limit if higher_is_better else value <= limit
    return "met" if ok else "**missed**"


def judge(summary: dict[str, Any] | None, limit: float, higher_is_better: bool) -> str:
    """Like :func:`verdict`, but a spread that straddles the target cannot tell: it says so."""
    if summary and summary.get("n", 0) > 1 and summary["min"] <= limit <= summary["max"]:
        by_median = verdict(median(summary), limit, higher_is_better).strip("*")
        return f"unclear: the spread crosses it (median: {by_median})"
    return verdict(median(summary), limit, higher_is_better)


def ratio(a: float | None, b: float | None) -> str:
    if a is None or not b:
        return "-"
    return f"{num(a / b, 2)}x"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"
