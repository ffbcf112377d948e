"""Request throughput of a Starlette app with DepHealthMiddleware, under real uvicorn and wrk.

Two figures, each a ratio of medians measured in this run, rounds alternated:

1. ``/`` with the middleware / ``/`` of the same app without it   (target >= 0.97)
2. ``/readyz`` / ``/`` in the app with the middleware              (target >= 0.95)

Run from the repository root::

    python bench/starlette_requests.py [--rounds 3] [--duration 5] [--connections 32]

Needs ``wrk`` (Debian: ``apt-get install wrk``). The one dependency checked is a TCP check of
the local Redis (127.0.0.1:6379) every 15 s; health requests never run a check.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

HERE = Path(__file__).resolve().parent


async def trivial(request: Request) -> Response:
    return PlainTextResponse("ok")


def build_app() -> Starlette:
    """The app under test; ``DH_BENCH_MIDDLEWARE=1`` adds DepHealthMiddleware."""
    app = Starlette(routes=[Route("/", trivial)])
    if os.environ.get("DH_BENCH_MIDDLEWARE") == "1":
        from dephealth_core import DependencyHealth, tcp_check
        from dephealth_starlette import install

        dependency = tcp_check("redis", host="127.0.0.1", port=6379, critical=True)
        install(app, DependencyHealth("bench", "bench", dependency))
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


def wrk(url: str, duration: int, connections: int) -> float:
    """Requests per second; fails if any answer was not 2xx."""
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"non-2xx answers from {url}:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if match is None:
        raise RuntimeError(f"no Requests/sec in wrk output:\n{out}")
    return float(match.group(1))


def wait_ready(url: str) -> None:
    end = time.monotonic() + 20
    while time.monotonic() < end:
        if httpx.get(url).status_code == 200:
            return
        time.sleep(0.1)
    raise RuntimeError(f"{url} never answered 200 (is Redis up on 127.0.0.1:6379?)")


def summary(label: str, values: list[float]) -> float:
    median = statistics.median(values)
    spread = (max(values) - min(values)) / median * 100
    runs = ", ".join(f"{v:,.0f}" for v in values)
    print(f"  {label:<34} median {median:>9,.0f} req/s  spread {spread:4.1f}%  ({runs})")
    return median


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
        warm = (plain.url("/"), middleware.url("/"), middleware.url("/readyz"))
        for url in warm:
            wrk(url, 1, args.connections)
        results: dict[str, list[float]] = {"plain": [], "middleware": [], "readyz": []}
        for _ in range(args.rounds):
            results["plain"].append(wrk(plain.url("/"), args.duration, args.connections))
            results["middleware"].append(wrk(middleware.url("/"), args.duration, args.connections))
        for _ in range(args.rounds):
            results["middleware"].append(wrk(middleware.url("/"), args.duration, args.connections))
            results["readyz"].append(
                wrk(middleware.url("/readyz"), args.duration, args.connections)
            )
    finally:
        plain.stop()
        middleware.stop()

    print(
        f"uvicorn, 1 worker; wrk -t1 -c{args.connections} -d{args.duration}s; "
        f"{args.rounds} alternated rounds"
    )
    plain_median = summary("/ without middleware", results["plain"])
    mw_first = summary("/ with middleware (rounds 1)", results["middleware"][: args.rounds])
    mw_second = summary("/ with middleware (rounds 2)", results["middleware"][args.rounds :])
    readyz_median = summary("/readyz with middleware", results["readyz"])
    print(f"middleware / plain (target >= 0.97): {mw_first / plain_median:.3f}")
    print(f"/readyz / trivial route (target >= 0.95): {readyz_median / mw_second:.3f}")


if __name__ == "__main__":
    main()
