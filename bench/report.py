"""Writes docs/benchmarks.md from the JSON results that ``scripts/bench`` collected.

    python bench/report.py --results bench/.results --command "scripts/bench" \
        [--seconds 600] [--output docs/benchmarks.md]

Each benchmark's result is ``NAME.json`` (one JSON object) with ``NAME.run.json`` (exit status,
time taken, the command) and ``NAME.log`` (what it said on stderr). A benchmark whose result is
missing or unreadable is reported as not measured, with the reason.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from report_cli import cli_section
from report_format import Results
from report_sections import (
    detection_section,
    herd_section,
    pool_section,
    requests_section,
    scheduler_section,
)
from report_summary import summary_section

HEADER = """\
# Benchmarks

This page is written by `bench/report.py` from the results of one run of `scripts/bench`; do not
edit it by hand, run the command again. Every figure is measured in that one run on this
machine, as a ratio against a baseline or a peer measured beside it (runs alternated), with the
median and the spread over the rounds (min..max). Peers run in their own virtualenv,
`bench/.venv-peers`: dephealth {dephealth} (the Python SDK of the dephealth contract, with its
FastAPI integration) and django-health-check {dhc}.

- Command: `{command}`
- Finished: {date}; the run took {minutes}.
- Machine: {cpus} CPUs, Python {python}, load average {load}.

**The machine is shared with other work**: throughput and wall-clock figures from a loaded
machine are indicative only. CPU-time figures (process CPU per check, server CPU per request)
are far steadier, and the ratios compare runs that took turns in the same minutes.
"""


def load(results_dir: Path) -> Results:
    found: dict[str, Any] = {}
    for name in (
        "scheduler",
        "detection",
        "herd",
        "starlette",
        "django",
        "pool",
        "flask",
        "cli",
    ):
        data_path = results_dir / f"{name}.json"
        run_path = results_dir / f"{name}.run.json"
        log_path = results_dir / f"{name}.log"
        run: dict[str, Any] = {}
        if run_path.exists():
            try:
                run = json.loads(run_path.read_text())
            except ValueError:
                run = {}
        entry: dict[str, Any] = {"run": run, "data": None, "reason": None}
        try:
            text = data_path.read_text().strip()
            entry["data"] = json.loads(text.splitlines()[-1]) if text else None
        except (OSError, ValueError):
            entry["data"] = None
        if entry["data"] is None:
            entry["reason"] = why_missing(run, log_path)
        found[name] = entry
    return Results(found)


def why_missing(run: dict[str, Any], log_path: Path) -> str:
    if not run:
        return "not run"
    status = run.get("status")
    if status == "skipped":
        return "not run: the 15 minutes of the run were spent"
    if status == 124:
        reason = f"stopped after its time limit of {run.get('limit')} s"
    else:
        reason = f"exit status {status}"
    try:
        lines = [line for line in log_path.read_text().splitlines() if line.strip()]
    except OSError:
        lines = []
    if lines:
        reason += f": {lines[-1].strip()[:160]}"
    return reason


def reflow(text: str, width: int = 100) -> str:
    """Fill the prose paragraphs and list items of ``text``; tables and headings stay."""
    blocks = []
    for block in text.split("\n\n"):
        lines = block.strip("\n").splitlines()
        if not lines or lines[0].startswith(("|", "#", "    ", "```")):
            blocks.append(block.strip("\n"))
            continue
        items: list[list[str]] = []
        for line in lines:
            if line.startswith("- ") or not items:
                items.append([line.strip()])
            else:
                items[-1].append(line.strip())
        filled = []
        for item in items:
            joined = " ".join(item)
            indent = "  " if joined.startswith("- ") else ""
            filled.append(
                textwrap.fill(
                    joined,
                    width,
                    subsequent_indent=indent,
                    break_long_words=False,
                    break_on_hyphens=False,
                )
            )
        blocks.append("\n".join(filled))
    return "\n\n".join(blocks) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=Path("bench/.results"))
    parser.add_argument("--command", default="scripts/bench")
    parser.add_argument("--seconds", type=int, default=None, help="how long the run took")
    parser.add_argument("--dephealth-version", default="0.8.2")
    parser.add_argument("--django-health-check-version", default="4.8.0")
    parser.add_argument("--output", type=Path, default=Path("docs/benchmarks.md"))
    args = parser.parse_args()
    results = load(args.results)
    minutes = "an unknown time"
    if args.seconds is not None:
        minutes = f"{args.seconds // 60} min {args.seconds % 60:02d} s"
    load_avg = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    parts = [
        HEADER.format(
            dephealth=args.dephealth_version,
            dhc=args.django_health_check_version,
            command=args.command,
            date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            minutes=minutes,
            cpus=os.cpu_count(),
            python=platform.python_version(),
            load=f"{load_avg} (1, 5, 15 min) at the end",
        ),
        summary_section(results),
        scheduler_section(results),
        detection_section(results),
        requests_section(results),
        herd_section(results),
        pool_section(results),
        cli_section(results),
    ]
    args.output.write_text("\n".join(reflow(part) for part in parts))


if __name__ == "__main__":
    main()
