"""Herd: a burst of concurrent health requests must add no check to what the schedule runs.

Each app's one dependency is a counting TCP server (``TcpStubServer``, in this process: it
notes the time of every connection it accepts, that is of every check). The apps run under
uvicorn: ours (``app_ours.py``, ``/readyz``) and dephealth 0.8.2's (``app_dephealth.py``,
``/health/dependencies``, with the Python of bench/.venv-peers), checking every 3 s. Right after
a check, 500 requests go out at once (httpx, one connection each) to the health endpoint. The
checks the schedule explains during the burst are the due times, predicted from the last check
before it, that fall inside it; any other connection the server sees is a check the requests
caused. Bursts alternate between the apps.

    python bench/herd.py [--requests 500] [--bursts 3] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchserver import PEER_PYTHON, Uvicorn  # noqa: E402
from tests.support.stubs import TcpStubServer  # noqa: E402

INTERVAL = 3.0


class CountingServer(TcpStubServer):
    """``TcpStubServer("close")`` that also notes when each connection was accepted."""

    def __init__(self) -> None:
        super().__init__("close")
        self.accept_times: list[float] = []
        self._seen = 0

    def poll(self) -> None:
        """Turn the accept counter into timestamps (called often from the bench's loop)."""
        while self._seen < self.accepted:
            self._seen += 1
            self.accept_times.append(time.monotonic())


async def watch(server: CountingServer, until: asyncio.Event) -> None:
    while not until.is_set():
        server.poll()
        await asyncio.sleep(0.001)
    server.poll()


async def wait_for_check(server: CountingServer, timeout: float) -> float:
    """Wait for the next check to reach the server; returns its time."""
    count = len(server.accept_times)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(server.accept_times) > count:
            return server.accept_times[-1]
        await asyncio.sleep(0.001)
    raise RuntimeError("no scheduled check reached the server")


async def burst(url: str, requests: int) -> tuple[Counter[int], float, float]:
    """``requests`` concurrent GETs; the answers' status codes, the burst's start and end."""
    limits = httpx.Limits(max_connections=requests, max_keepalive_connections=0)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def one() -> int:
            try:
                return (await client.get(url)).status_code
            except httpx.HTTPError:
                return 0

        started = time.monotonic()
        statuses = await asyncio.gather(*(one() for _ in range(requests)))
        ended = time.monotonic()
    return Counter(statuses), started, ended


Apps = dict[str, tuple[Uvicorn, str, CountingServer]]


async def measure(apps: Apps, args: Any) -> dict[str, Any]:
    stop = asyncio.Event()
    watchers = [asyncio.create_task(watch(s, stop)) for _, _, s in apps.values()]
    results: dict[str, Any] = {
        lib: {"statuses": Counter(), "burst_s": [], "seen": 0, "scheduled": 0} for lib in apps
    }
    try:
        for lib, (app, path, _) in apps.items():
            # Ready: the first check has run and the endpoint answers 200.
            async with httpx.AsyncClient() as client:
                deadline = time.monotonic() + 20
                while (await client.get(app.url(path))).status_code != 200:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{lib}: {path} never answered 200")
                    await asyncio.sleep(0.1)
        for _ in range(args.bursts):
            for lib, (app, path, server) in apps.items():
                last_check = await wait_for_check(server, INTERVAL * 3)
                await asyncio.sleep(0.05)
                statuses, started, ended = await burst(app.url(path), args.requests)
                await asyncio.sleep(0.05)  # connections accepted just before the end
                seen = sum(1 for t in server.accept_times if started <= t <= ended)
                # Due times after the last check, as the schedule alone would run them.
                scheduled = sum(
                    1
                    for k in range(1, 1 + int((ended - last_check) / INTERVAL) + 1)
                    if started <= last_check + k * INTERVAL <= ended
                )
                row = results[lib]
                row["statuses"].update(statuses)
                row["burst_s"].append(ended - started)
                row["seen"] += seen
                row["scheduled"] += scheduled
    finally:
        stop.set()
        await asyncio.gather(*watchers)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--bursts", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--peer-python", type=Path, default=PEER_PYTHON)
    args = parser.parse_args()
    notes: list[str] = []
    servers: list[CountingServer] = []
    apps: Apps = {}

    def start(lib: str, python: str, module: str, path: str) -> None:
        server = CountingServer().start()
        servers.append(server)
        env = {
            "DH_BENCH_MIDDLEWARE": "1",
            "DH_BENCH_DEPS": f"tcp=127.0.0.1:{server.port}",
            "DH_BENCH_INTERVAL": str(INTERVAL),
            "DH_BENCH_TIMEOUT": "1",
        }
        apps[lib] = (Uvicorn(python, module, env), path, server)

    try:
        start("ours", sys.executable, "app_ours", "/readyz")
        if args.peer_python.exists():
            start("dephealth", str(args.peer_python), "app_dephealth", "/health/dependencies")
        else:
            notes.append(f"dephealth not measured: no Python with dephealth at {args.peer_python}")
        raw = asyncio.run(measure(apps, args))
    finally:
        for app, _, _ in apps.values():
            app.stop()
        for server in servers:
            server.stop()

    results = {
        lib: {
            "statuses": {str(k): v for k, v in sorted(row["statuses"].items())},
            "burst_s": round(max(row["burst_s"]), 3),
            "checks_seen": row["seen"],
            "checks_scheduled": row["scheduled"],
            "extra_checks": row["seen"] - row["scheduled"],
        }
        for lib, row in raw.items()
    }
    output = {
        "config": {
            "requests": args.requests,
            "bursts": args.bursts,
            "interval_s": INTERVAL,
            "client": f"httpx AsyncClient, {args.requests} connections at once",
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
        },
        "notes": notes,
        "results": results,
    }
    if args.json:
        print(json.dumps(output))
        return
    print(f"{args.bursts} bursts of {args.requests} concurrent requests, interval {INTERVAL:g} s")
    for lib, row in results.items():
        print(
            f"  {lib:10} answers {row['statuses']}, longest burst {row['burst_s']} s, "
            f"checks seen {row['checks_seen']}, scheduled {row['checks_scheduled']}, "
            f"extra {row['extra_checks']}"
        )
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
