"""Request throughput with our Starlette middleware, and with dephealth's FastAPI integration.

Real uvicorn servers (1 worker, asyncio loop, h11, for every app alike) loaded with ``wrk``,
all series alternated within each round. Ours (``app_ours.py``, a Starlette app):

1. ``/`` with DepHealthMiddleware / ``/`` of the same app without it    (target >= 0.97)
2. ``/readyz`` / ``/`` in the app with the middleware                    (target >= 0.95)

and the same two figures for dephealth 0.8.2 (``app_dephealth.py``, FastAPI with its lifespan,
``dependencies_router`` and ``DepHealthMiddleware``, run by the Python of bench/.venv-peers),
with ``/health/dependencies`` as its health endpoint. Besides requests per second it reports the
server process's CPU time per request (from ``/proc``), which a busy machine disturbs far less
than throughput, and the cost of our ASGI app alone, in process.

    python bench/starlette_requests.py [--rounds 3] [--duration 5] [--connections 32] [--json]

Needs ``wrk`` (Debian: ``apt-get install wrk``). The one dependency checked is a TCP check of
the local Redis (127.0.0.1:6379) every 15 s; health requests never run a check.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import httpx
from benchserver import PEER_PYTHON, Uvicorn, cpu_seconds
from benchstats import paired, ratio, summary
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette


def server(python: str, module: str, with_dephealth: bool) -> Uvicorn:
    """The app with or without dephealth, checking the local Redis over TCP every 15 s."""
    return Uvicorn(python, module, {"DH_BENCH_MIDDLEWARE": "1" if with_dephealth else "0"})


def wrk(server: Uvicorn, path: str, duration: int, connections: int) -> tuple[float, float]:
    """Load ``path``: (req/s, server CPU µs per request); fails on any non-2xx answer."""
    url = server.url(path)
    cpu_before = cpu_seconds(server.process.pid)
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"non-2xx answers from {url}:\n{out}")
    cpu = cpu_seconds(server.process.pid) - cpu_before
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    if rps is None or total is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    return float(rps.group(1)), cpu / int(total.group(1)) * 1e6


def wait_ready(url: str) -> None:
    end = time.monotonic() + 30
    while time.monotonic() < end:
        if httpx.get(url).status_code == 200:
            return
        time.sleep(0.1)
    raise RuntimeError(f"{url} never answered 200 (is Redis up on 127.0.0.1:6379?)")


async def asgi_cost(rounds: int, calls: int = 20_000) -> dict[str, list[float]]:
    """Microseconds per request of our ASGI app alone (no server, no sockets)."""
    from app_ours import build_app

    os.environ["DH_BENCH_MIDDLEWARE"] = "0"
    plain = build_app()
    os.environ["DH_BENCH_MIDDLEWARE"] = "1"
    with_middleware = build_app(registry=CollectorRegistry())
    lifespan_in: asyncio.Queue[MutableMapping[str, Any]] = asyncio.Queue()
    lifespan_out: asyncio.Queue[MutableMapping[str, Any]] = asyncio.Queue()
    lifespan_scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.create_task(with_middleware(lifespan_scope, lifespan_in.get, lifespan_out.put))
    await lifespan_in.put({"type": "lifespan.startup"})
    await lifespan_out.get()
    await with_middleware.state.dephealth.check_now()

    async def receive() -> MutableMapping[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        pass

    async def per_call(app: Starlette, path: str) -> float:
        base = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"bench")],
            "server": ("127.0.0.1", 80),
            "client": ("127.0.0.1", 1),
        }
        started = time.perf_counter()
        for _ in range(calls):
            await app(dict(base), receive, send)
        return (time.perf_counter() - started) / calls * 1e6

    costs: dict[str, list[float]] = {"plain": [], "with": [], "readyz": []}
    for _ in range(rounds):
        costs["plain"].append(await per_call(plain, "/"))
        costs["with"].append(await per_call(with_middleware, "/"))
        costs["readyz"].append(await per_call(with_middleware, "/readyz"))
    await lifespan_in.put({"type": "lifespan.shutdown"})
    await lifespan_out.get()
    await task
    return costs


def figures(
    runs: dict[str, list[tuple[float, float]]], plain: str, with_: str, health: str
) -> dict[str, Any]:
    """The two ratios of one library, by req/s and by server CPU per request."""

    def rps(name: str) -> list[float]:
        return [r for r, _ in runs[name]]

    def cpu(name: str) -> list[float]:
        return [c for _, c in runs[name]]

    return {
        "middleware_rps": paired(rps(with_), rps(plain)),
        "middleware_rps_of_medians": ratio(
            statistics.median(rps(with_)), statistics.median(rps(plain))
        ),
        # Baseline CPU / this one's: the req/s ratio a quiet machine would show.
        "middleware_cpu": paired(cpu(plain), cpu(with_)),
        "health_rps": paired(rps(health), rps(with_)),
        "health_rps_of_medians": ratio(
            statistics.median(rps(health)), statistics.median(rps(with_))
        ),
        "health_cpu": paired(cpu(with_), cpu(health)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--peer-python", type=Path, default=PEER_PYTHON)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk not found: apt-get install wrk")

    notes: list[str] = []
    servers = {
        "ours-plain": server(sys.executable, "app_ours", with_dephealth=False),
        "ours-with": server(sys.executable, "app_ours", with_dephealth=True),
    }
    # (series name, server, path)
    series = [
        ("ours / without", "ours-plain", "/"),
        ("ours / with", "ours-with", "/"),
        ("ours /readyz", "ours-with", "/readyz"),
    ]
    try:
        if args.peer_python.exists():
            servers["dh-plain"] = server(str(args.peer_python), "app_dephealth", False)
            servers["dh-with"] = server(str(args.peer_python), "app_dephealth", True)
            series += [
                ("dephealth / without", "dh-plain", "/"),
                ("dephealth / with", "dh-with", "/"),
                ("dephealth /health/dependencies", "dh-with", "/health/dependencies"),
            ]
        else:
            notes.append(f"dephealth not measured: no Python with dephealth at {args.peer_python}")
        wait_ready(servers["ours-with"].url("/readyz"))
        if "dh-with" in servers:
            wait_ready(servers["dh-with"].url("/health/dependencies"))
        for _, name, path in series:
            wrk(servers[name], path, 1, args.connections)  # warm-up
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in series}
        for round_ in range(args.rounds):
            shift = round_ % len(series)
            for name, key, path in series[shift:] + series[:shift]:
                runs[name].append(wrk(servers[key], path, args.duration, args.connections))
    finally:
        for running in servers.values():
            running.stop()

    costs = asyncio.run(asgi_cost(args.rounds))
    result: dict[str, Any] = {
        "config": {
            "server": "uvicorn, 1 worker, --loop asyncio --http h11",
            "load": f"wrk -t1 -c{args.connections} -d{args.duration}s",
            "rounds": args.rounds,
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
        },
        "notes": notes,
        "series": {
            name: {
                "rps": summary([r for r, _ in values], 1),
                "cpu_us": summary([c for _, c in values], 1),
            }
            for name, values in runs.items()
        },
        "ours": figures(runs, "ours / without", "ours / with", "ours /readyz"),
        "asgi_us": {name: summary(values, 2) for name, values in costs.items()},
    }
    if "dephealth / with" in runs:
        result["dephealth"] = figures(
            runs, "dephealth / without", "dephealth / with", "dephealth /health/dependencies"
        )
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"{result['config']['server']}; {result['config']['load']}; "
        f"{args.rounds} alternated rounds; medians (spread = (max - min) / median)"
    )
    for name, row in result["series"].items():
        print(
            f"  {name:32} {row['rps']['median']:>9,.0f} req/s ({row['rps']['spread_pct']}%)"
            f"  {row['cpu_us']['median']:7.1f} µs CPU/request ({row['cpu_us']['spread_pct']}%)"
        )
    for lib in ("ours", "dephealth"):
        if lib in result:
            f = result[lib]
            print(
                f"{lib}: with / without middleware {f['middleware_rps']['median']} req/s "
                f"(target >= 0.97), CPU {f['middleware_cpu']['median']}; "
                f"health / trivial {f['health_rps']['median']} req/s (target >= 0.95), "
                f"CPU {f['health_cpu']['median']}"
            )
    medians = {name: row["median"] for name, row in result["asgi_us"].items()}
    print(
        f"our ASGI app alone, µs per request: / without {medians['plain']}, "
        f"/ with {medians['with']}, /readyz {medians['readyz']}"
    )
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
