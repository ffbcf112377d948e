"""bench/report.py: docs/benchmarks.md says plainly what was measured and what was not."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def render(results: Path, tmp_path: Path) -> str:
    output = tmp_path / "benchmarks.md"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "report.py"),
            *("--results", str(results), "--command", "scripts/bench", "--seconds", "512"),
            *("--output", str(output)),
        ],
        check=True,
        timeout=60,
    )
    return output.read_text()


def write(results: Path, name: str, data: object, run: dict[str, object], log: str = "") -> None:
    results.mkdir(exist_ok=True)
    (results / f"{name}.json").write_text("" if data is None else json.dumps(data))
    (results / f"{name}.run.json").write_text(json.dumps(run))
    (results / f"{name}.log").write_text(log)


def test_nothing_measured_says_so_everywhere(tmp_path: Path) -> None:
    """With no results at all, every section and summary row reads 'not measured'."""
    page = render(tmp_path / "empty", tmp_path)
    flat = " ".join(page.split())
    for section in ("Scheduler scale", "Detection time", "Herd", "Pool-mode check"):
        assert f"**{section}: not measured in this run** (not run)" in flat
    assert "| CPU ms per 1,000 no-op checks, 1,000 endpoints | <= 20 | not measured |" in page
    assert "Command: `scripts/bench`" in page
    assert "the run took 8 min 32 s" in flat


def test_failed_and_skipped_benchmarks_give_their_reason(tmp_path: Path) -> None:
    """A benchmark that crashed shows its exit status and last log line; a skipped one says why."""
    results = tmp_path / "results"
    write(
        results,
        "detection",
        None,
        {"status": 1, "seconds": 3, "command": "bench/detection.py"},
        "Traceback...\nRuntimeError: ours: the health endpoint never answered 200\n",
    )
    write(results, "herd", None, {"status": "skipped", "command": "bench/herd.py"})
    write(results, "pool", None, {"status": 124, "seconds": 60, "limit": 60})
    page = " ".join(render(results, tmp_path).split())  # prose is filled to 100 columns
    assert (
        "**Detection time: not measured in this run** (exit status 1: RuntimeError: ours: the "
        "health endpoint never answered 200)" in page
    )
    assert (
        "**Herd: not measured in this run** (not run: the 15 minutes of the run were spent)" in page
    )
    assert "stopped after its time limit of 60 s" in page


def test_detection_figures_are_rendered_with_their_verdict(tmp_path: Path) -> None:
    """Measured detection times read median (min..max), ours beside dephealth, with a verdict."""
    results = tmp_path / "results"
    row = {"median": 0.5, "min": 0.1, "max": 0.9, "n": 10, "spread_pct": 160.0}
    slow = {"median": 2.0, "min": 1.5, "max": 2.5, "n": 10, "spread_pct": 50.0}
    data = {
        "config": {"interval_s": 1.0, "timeout_s": 0.5, "cycles": 10, "poll_ms": 10},
        "targets": {"down_s": 1.6, "up_s": 1.1},
        "results": {
            "tcp": {
                "ours": {"down_s": row, "up_s": slow, "missed": 0},
                "dephealth": {"down_s": slow, "up_s": row, "missed": 1},
            }
        },
    }
    write(results, "detection", data, {"status": 0, "seconds": 50, "command": "bench/detection.py"})
    page = render(results, tmp_path)
    assert "| tcp | ours | 0.5 (0.1..0.9) | 2 (1.5..2.5) | 0 |" in page
    assert "| tcp | dephealth | 2 (1.5..2.5) | 0.5 (0.1..0.9) | 1 |" in page
    summary = page.split("## 1.")[0]
    assert "| 0.5 (0.1..0.9) | 2 (1.5..2.5) | 0.25x | met |" in summary
    assert "| 2 (1.5..2.5) | 0.5 (0.1..0.9) | 4x | **missed** |" in summary
