"""Scheduler scale: ours against dephealth 0.8.2 (asyncio mode and thread mode), in one run.

1,000 and 10,000 endpoints at a 1 s interval, with a no-op checker (the scheduler's own cost)
and with real TCP checks against a local server (a private redis-server: a C server, so its
own cost stays small; the checks only connect and close). Every combination runs in a process
of its own (``bench/scheduler_worker.py``), ours with this Python, dephealth with the Python of
``bench/.venv-peers``; the libraries alternate within each round. Per combination: CPU per 1,000
checks (process CPU time), p99 lateness of check starts, checks done against those scheduled,
resident memory per 1,000 endpoints (RSS minus that of a process of the same library holding no
endpoint), threads, and the overload figures: checks done per second, endpoints reported down
and their details, lateness. Ours runs in its sync-app mode (one background thread with the
loop the runner picks: uvloop when installed) and on a loop of the benchmark's own, asyncio and
uvloop (as on a Starlette app's server); dephealth in its asyncio mode on either loop and in its
thread mode, which starts one thread per endpoint, each with an event loop of its own.

    python bench/scheduler.py [--rounds 3] [--large-rounds 2] [--seconds 3] [--budget 300]
        [--libs ours,dephealth-async,...] [--json]

Needs redis-server (``scripts/servers``); ``--peer-python`` (default: bench/.venv-peers, set up by
``scripts/bench``) runs dephealth; without it only our figures are measured.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from benchserver import PEER_PYTHON  # noqa: E402
from tests.support.servers import PrivateRedis  # noqa: E402

#: In the order they are worth measuring when the time budget runs short.
LIBS = (
    "ours",
    "dephealth-async",
    "dephealth-thread",
    "ours-uvloop",
    "dephealth-uvloop",
    "ours-asyncio",
)
#: Measured at 10,000 endpoints too (the thread mode runs there once, see below).
LARGE_LIBS = ("ours", "dephealth-async", "ours-uvloop", "dephealth-uvloop")
CHECKERS = ("noop", "tcp")
#: Seconds a worker may take before it counts as "could not be measured".
WORKER_LIMIT = {1000: 60.0, 10000: 90.0}
THREAD_MODE_LIMIT = {1000: 90.0, 10000: 200.0}


def worker_limit(lib: str, endpoints: int) -> float:
    return (THREAD_MODE_LIMIT if lib == "dephealth-thread" else WORKER_LIMIT)[endpoints]


class BenchRedis(PrivateRedis):
    """A private redis-server with a listen backlog and client limit sized for 10,000 checks/s."""

    def _command(self) -> Sequence[str]:
        return [*super()._command(), "--tcp-backlog", "4096", "--maxclients", "15000"]


def run_worker(
    peer: Path, lib: str, checker: str, endpoints: int, seconds: float, port: int, limit: float
) -> dict[str, Any]:
    python = sys.executable if lib.startswith("ours") else str(peer)
    command = [
        *(python, str(HERE / "scheduler_worker.py"), "--lib", lib, "--checker", checker),
        *("--endpoints", str(endpoints), "--seconds", str(seconds), "--port", str(port)),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish within {limit:.0f} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = done.stderr.strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        return {"error": tail[0][:200]}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def spread(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"median": None, "min": None, "max": None, "n": 0}
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
        "n": len(values),
    }


def numbers(runs: list[dict[str, Any]], field: str) -> list[float]:
    return [float(run[field]) for run in runs if run.get(field) is not None]


def summarise(
    runs: list[dict[str, Any]], baselines: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    """Medians and spreads per library, checker and size."""
    summary: dict[str, Any] = {}
    keys = sorted({(r["lib"], r["checker"], r["endpoints"]) for r in runs if "lib" in r})
    for lib, checker, endpoints in keys:
        group = [
            r
            for r in runs
            if r.get("lib") == lib and r.get("checker") == checker and r["endpoints"] == endpoints
        ]
        ok = [r for r in group if "error" not in r]
        base = numbers(baselines.get(lib.split("-")[0], []), "rss_kib")
        base_rss = statistics.median(base) if base else None
        memory = [
            (r["rss_kib"] - base_rss) / 1024 / endpoints * 1000 for r in ok if base_rss is not None
        ]
        summary[f"{lib}/{checker}/{endpoints}"] = {
            "lib": lib,
            "checker": checker,
            "endpoints": endpoints,
            "runs": len(group),
            "errors": sorted({r["error"] for r in group if "error" in r}),
            "cpu_ms_per_1000_checks": spread(numbers(ok, "cpu_ms_per_1000_checks")),
            "gap_late_p99_ms": spread(numbers(ok, "gap_late_p99_ms")),
            "gap_late_p50_ms": spread(numbers(ok, "gap_late_p50_ms")),
            "schedule_late_p99_ms": spread(numbers(ok, "schedule_late_p99_ms")),
            "checks_done_ratio": spread(
                [r["checks"] / r["expected_checks"] for r in ok if r["expected_checks"]]
            ),
            "rss_mib": spread([r["rss_kib"] / 1024 for r in ok]),
            "memory_mib_per_1000": spread(memory),
            "threads": spread(numbers(ok, "threads")),
            "threads_added": spread(numbers(ok, "threads_added")),
            "thread_deaths": spread(numbers(ok, "thread_deaths")),
            "never_checked": spread(numbers(ok, "endpoints_never_checked")),
            "unhealthy": spread(numbers(ok, "unhealthy")),
            "checks_per_second": spread(numbers(ok, "checks_per_second")),
            "timeouts": spread([float(r.get("details", {}).get("timeout", 0)) for r in ok]),
            "schedule_late_max_ms": spread(numbers(ok, "schedule_late_max_ms")),
            "gap_late_max_ms": spread(numbers(ok, "gap_late_max_ms")),
            "loops": sorted({r["loop"] for r in ok if r.get("loop")}),
            "start_seconds": spread(numbers(ok, "start_seconds")),
        }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds at 1,000 endpoints")
    parser.add_argument("--large-rounds", type=int, default=2, help="rounds at 10,000")
    parser.add_argument("--seconds", type=float, default=3.0, help="measured window per run")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--peer-python", type=Path, default=PEER_PYTHON)
    parser.add_argument(
        "--libs", default=",".join(LIBS), help="comma-separated modes (default: all of them)"
    )
    parser.add_argument(
        "--budget", type=float, default=300.0, help="seconds; runs past it are skipped"
    )
    args = parser.parse_args()
    peer: Path = args.peer_python
    wanted = [lib.strip() for lib in args.libs.split(",") if lib.strip()]
    unknown = sorted(set(wanted) - set(LIBS))
    if unknown:
        parser.error(f"unknown --libs {', '.join(unknown)}; known: {', '.join(LIBS)}")
    libs = [lib for lib in LIBS if lib in wanted and (lib.startswith("ours") or peer.exists())]
    notes = []
    if any(lib.startswith("dephealth") for lib in wanted) and not peer.exists():
        notes.append(f"dephealth not measured: no Python with dephealth at {peer}")

    runs: list[dict[str, Any]] = []
    baselines: dict[str, list[dict[str, Any]]] = {"ours": [], "dephealth": []}
    began = time.monotonic()
    skipped: list[str] = []

    def measure(lib: str, checker: str, endpoints: int, round_: int) -> None:
        remaining = args.budget - (time.monotonic() - began)
        if remaining < 10:
            skipped.append(f"{lib}/{checker}/{endpoints} round {round_ + 1}")
            return
        limit = min(worker_limit(lib, endpoints), remaining)
        result = run_worker(peer, lib, checker, endpoints, args.seconds, server.port, limit)
        if limit < worker_limit(lib, endpoints) and "error" in result:
            result["error"] += " (what was left of the time budget)"
        result.update(lib=lib, checker=checker, endpoints=endpoints, round=round_)
        runs.append(result)
        print(json.dumps(result), file=sys.stderr, flush=True)

    with BenchRedis() as server:
        for round_ in range(args.rounds):
            for family, lib in (("ours", "ours"), ("dephealth", "dephealth-async")):
                if lib in libs:
                    base = run_worker(peer, lib, "noop", 0, 1.0, server.port, 30)
                    if "error" not in base:
                        baselines[family].append(base)
            order = libs[round_ % len(libs) :] + libs[: round_ % len(libs)]
            for checker in CHECKERS:
                for lib in order:
                    measure(lib, checker, 1000, round_)
        # At 10,000 endpoints dephealth's thread mode takes a minute or more a run: it runs
        # once, last, so that a busy machine's time budget cuts it first.
        large = [lib for lib in libs if lib in LARGE_LIBS]
        for round_ in range(args.large_rounds):
            order = large[round_ % len(large) :] + large[: round_ % len(large)]
            for checker in CHECKERS:
                for lib in order:
                    measure(lib, checker, 10000, round_)
        if "dephealth-thread" in libs and args.large_rounds:
            measure("dephealth-thread", "noop", 10000, 0)
            notes.append(
                "dephealth's thread mode at 10,000 endpoints runs once, with the no-op checker "
                "only: starting 10,000 threads takes a minute or more here, and TCP checks would "
                "add nothing the no-op run does not show (threads die for lack of descriptors)"
            )
    if skipped:
        notes.append(
            f"not measured, the time budget of {args.budget:g} s was spent: " + ", ".join(skipped)
        )
    summary = summarise(runs, baselines)
    output = {
        "config": {
            "interval_s": 1.0,
            "rounds": args.rounds,
            "large_rounds": args.large_rounds,
            "seconds": args.seconds,
            "warm_up_s": 1.5,
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
            "elapsed_s": round(time.monotonic() - began, 1),
            "server": "private redis-server (connect and close only)",
        },
        "notes": notes,
        "baselines": {
            family: spread([b["rss_kib"] / 1024 for b in found])
            for family, found in baselines.items()
        },
        "summary": summary,
        "runs": runs,
    }
    if args.json:
        print(json.dumps(output))
        return
    print(
        f"{'library/checker/endpoints':34} {'cpu ms/1k':>10} {'p99 late':>9} {'sched p99':>9} "
        f"{'done':>6} {'checks/s':>8} {'MiB/1k':>7} {'threads':>7} {'down':>6} {'errors'}"
    )
    for key, row in summary.items():

        def m(field: str, row: dict[str, Any] = row) -> str:
            value = row[field]["median"]
            return "-" if value is None else f"{value:.4g}"

        print(
            f"{key:34} {m('cpu_ms_per_1000_checks'):>10} {m('gap_late_p99_ms'):>9} "
            f"{m('schedule_late_p99_ms'):>9} {m('checks_done_ratio'):>6} "
            f"{m('checks_per_second'):>8} {m('memory_mib_per_1000'):>7} {m('threads'):>7} "
            f"{m('unhealthy'):>6} {'; '.join(row['errors'])}"
        )
    for note in notes:
        print(note)
    print("targets at 1,000 endpoints: CPU per 1,000 checks <= 20 ms no-op, <= 80 ms TCP;")
    print("         p99 lateness < 20 ms; < 10 MiB per 1,000 endpoints")
    print("         at 10,000 TCP endpoints: 0 down, the achieved rate and lateness reported")


if __name__ == "__main__":
    main()
