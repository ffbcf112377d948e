"""Request throughput of a Starlette app with DepHealthMiddleware, under real uvicorn and wrk.

Two figures, each a ratio of medians measured in this run, rounds alternated:

1. ``/`` with the middleware / ``/`` of the same app without it   (target >= 0.97)
2. ``/readyz`` / ``/`` in the app with the middleware              (target >= 0.95)

Besides requests per second it reports the server process's CPU time per request (from
``/proc``), which a busy machine disturbs far less than throughput.

Run from the repository root::

    python bench/starlette_requests.py [--rounds 3] [--duration 5] [--connections 32]

Needs ``wrk`` (Debian: ``apt-get install wrk``). The one dependency checked is a TCP check of
the local Redis (127.0.0.1:6379) every 15 s; health requests never run a check.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import httpx
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

HERE = Path(__file__).resolve().parent


async def trivial(request: Request) -> Response:
    return PlainTextResponse("ok")


def build_app(registry: CollectorRegistry | None = None) -> Starlette:
    """The app under test; ``DH_BENCH_MIDDLEWARE=1`` adds DepHealthMiddleware."""
    app = Starlette(routes=[Route("/", trivial)])
    if os.environ.get("DH_BENCH_MIDDLEWARE") == "1":
        from dephealth_core import DependencyHealth, tcp_check
        from dephealth_starlette import install

        dependency = tcp_check("redis", host="127.0.0.1", port=6379, critical=True)
        install(app, DependencyHealth("bench", "bench", dependency, registry=registry))
    return app


app = build_app()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, with_middleware: bool) -> None:
        self.port = free_port()
        env = {**os.environ, "DH_BENCH_MIDDLEWARE": "1" if with_middleware else "0"}
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", "starlette_requests:app"),
                *("--app-dir", str(HERE), "--host", "127.0.0.1", "--port", str(self.port)),
                *("--workers", "1", "--no-access-log", "--log-level", "warning"),
            ],
            env=env,
        )
        end = time.monotonic() + 20
        while time.monotonic() < end:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("uvicorn did not start")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Run:
    """One wrk run: throughput and the server's CPU time per request."""

    def __init__(self, rps: float, cpu_us: float) -> None:
        self.rps = rps
        self.cpu_us = cpu_us


def wrk(server: Server, path: str, duration: int, connections: int) -> Run:
    """Load ``path`` for ``duration`` seconds; fails if any answer was not 2xx."""
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
    return Run(float(rps.group(1)), cpu / int(total.group(1)) * 1e6)


def wait_ready(url: str) -> None:
    end = time.monotonic() + 20
    while time.monotonic() < end:
        if httpx.get(url).status_code == 200:
            return
        time.sleep(0.1)
    raise RuntimeError(f"{url} never answered 200 (is Redis up on 127.0.0.1:6379?)")


def summary(label: str, runs: list[Run]) -> tuple[float, float]:
    """Print and return the medians (req/s, CPU µs per request) of ``runs``."""
    rps = [run.rps for run in runs]
    cpu = [run.cpu_us for run in runs]
    rps_median, cpu_median = statistics.median(rps), statistics.median(cpu)
    rps_spread = (max(rps) - min(rps)) / rps_median * 100
    cpu_spread = (max(cpu) - min(cpu)) / cpu_median * 100
    print(
        f"  {label:<30} {rps_median:>7,.0f} req/s (spread {rps_spread:4.1f}%)  "
        f"{cpu_median:6.1f} µs CPU/request (spread {cpu_spread:4.1f}%)  "
        f"[{', '.join(f'{v:,.0f}' for v in rps)}]"
    )
    return rps_median, cpu_median


async def asgi_cost(rounds: int, calls: int = 20_000) -> dict[str, list[float]]:
    """Microseconds per request of the ASGI app alone (no server, no sockets)."""
    plain = build_app()
    os.environ["DH_BENCH_MIDDLEWARE"] = "1"
    try:
        with_middleware = build_app(registry=CollectorRegistry())
    finally:
        os.environ.pop("DH_BENCH_MIDDLEWARE")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk not found: apt-get install wrk")

    plain, middleware = Server(with_middleware=False), Server(with_middleware=True)
    try:
        wait_ready(middleware.url("/readyz"))
        for server, path in ((plain, "/"), (middleware, "/"), (middleware, "/readyz")):
            wrk(server, path, 1, args.connections)  # warm-up
        results: dict[str, list[Run]] = {"plain": [], "with": [], "trivial": [], "readyz": []}
        for _ in range(args.rounds):
            results["plain"].append(wrk(plain, "/", args.duration, args.connections))
            results["with"].append(wrk(middleware, "/", args.duration, args.connections))
        for _ in range(args.rounds):
            results["trivial"].append(wrk(middleware, "/", args.duration, args.connections))
            results["readyz"].append(wrk(middleware, "/readyz", args.duration, args.connections))
    finally:
        plain.stop()
        middleware.stop()

    print(
        f"uvicorn (h11), 1 worker; wrk -t1 -c{args.connections} -d{args.duration}s; "
        f"{args.rounds} alternated rounds per pair; medians"
    )
    print("1) trivial route, without vs with DepHealthMiddleware")
    plain_rps, plain_cpu = summary("/ without middleware", results["plain"])
    with_rps, with_cpu = summary("/ with middleware", results["with"])
    print("2) in the app with the middleware: /readyz vs the trivial route")
    trivial_rps, trivial_cpu = summary("/ (trivial route)", results["trivial"])
    readyz_rps, readyz_cpu = summary("/readyz", results["readyz"])
    print(
        f"with / without middleware: {with_rps / plain_rps:.3f} req/s (target >= 0.97), "
        f"CPU per request {with_cpu / plain_cpu:.3f}x"
    )
    print(
        f"/readyz / trivial route:    {readyz_rps / trivial_rps:.3f} req/s (target >= 0.95), "
        f"CPU per request {readyz_cpu / trivial_cpu:.3f}x"
    )
    costs = asyncio.run(asgi_cost(args.rounds))
    medians = {name: statistics.median(values) for name, values in costs.items()}
    print("3) the ASGI app alone, in process (no server): median µs per request")
    print(
        f"  / without middleware {medians['plain']:.1f}, / with middleware "
        f"{medians['with']:.1f}, /readyz {medians['readyz']:.1f}"
    )


if __name__ == "__main__":
    main()
