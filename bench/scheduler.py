"""Scheduler scale: CPU per 1,000 checks, lateness of check starts, threads.

Runs N endpoints at a 1 s interval in the background runner (the sync-app mode: one thread,
one loop) for a measured window, with a no-op checker and with real TCP checks against a TCP
server in another process. Prints CPU milliseconds per 1,000 checks (process CPU time, this
process only), the p50/p99/max lateness of check starts against their schedule, and the
threads the engine added.

    .venv/bin/python bench/scheduler.py [--endpoints 1000] [--seconds 10]
"""

from __future__ import annotations

import argparse
import json
import logging
import socket
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

from prometheus_client import CollectorRegistry

from dephealth_core import Dependency, DependencyHealth, Endpoint, Kind, tcp_check

TCP_SERVER = """
import asyncio, sys
async def main():
    async def handle(reader, writer):
        writer.close()
    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=4096)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()
asyncio.run(main())
"""


class NoopChecker:
    """Succeeds at once: measures the engine's own cost."""

    async def check(self, endpoint: Endpoint) -> None:
        return None


NOOP = Kind(type="tcp", default_port=1, make_checker=lambda d, t: NoopChecker())


def noop_dependencies(count: int) -> list[Dependency]:
    return [
        Dependency(f"noop-{i}", NOOP, critical=False, host=f"10.0.{i // 250}.{i % 250 + 1}")
        for i in range(count)
    ]


def tcp_dependencies(count: int, port: int) -> list[Dependency]:
    return [
        tcp_check(f"tcp-{i}", host="127.0.0.1", port=port, critical=False) for i in range(count)
    ]


def measure(dependencies: list[Dependency], seconds: float) -> dict[str, Any]:
    threads_before = threading.active_count()
    dh = DependencyHealth(
        "bench",
        "bench",
        *dependencies,
        check_interval=1,
        timeout=0.5,
        registry=CollectorRegistry(),
        environ={},
    )
    dh.start_background()
    # Warm up for one interval (first checks are spread over it), then measure.
    time.sleep(1.5)

    async def arm() -> None:
        for runner in dh._runners.values():
            runner.lateness = []

    assert dh._runner is not None
    dh._runner.run(arm(), timeout=10)
    checks_before = sum(s.histogram.count for s in dh.snapshot.endpoints.values())
    cpu_before = time.process_time()
    wall_before = time.monotonic()
    time.sleep(seconds)
    cpu = time.process_time() - cpu_before
    wall = time.monotonic() - wall_before
    threads = threading.active_count() - threads_before
    time.sleep(0.3)  # let the coalesced snapshot catch up before counting
    checks = sum(s.histogram.count for s in dh.snapshot.endpoints.values()) - checks_before
    lateness = sorted(x for r in dh._runners.values() for x in (r.lateness or []))
    failures = sum(1 for s in dh.snapshot.endpoints.values() if s.healthy is False)
    dh.stop_background()
    quantiles = statistics.quantiles(lateness, n=100) if len(lateness) > 100 else [0.0] * 99
    return {
        "endpoints": len(dependencies),
        "checks": checks,
        "expected_checks": round(len(dependencies) * wall),
        "cpu_ms_per_1000_checks": round(cpu / max(checks, 1) * 1000 * 1000, 2),
        "lateness_p50_ms": round(quantiles[49] * 1000, 3),
        "lateness_p99_ms": round(quantiles[98] * 1000, 3),
        "lateness_max_ms": round(max(lateness, default=0.0) * 1000, 3),
        "threads_added": threads,
        "unhealthy_endpoints": failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    logging.getLogger("dephealth").setLevel(logging.CRITICAL)
    server = subprocess.Popen([sys.executable, "-c", TCP_SERVER], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        results = {
            "noop": measure(noop_dependencies(args.endpoints), args.seconds),
            "tcp": measure(tcp_dependencies(args.endpoints, port), args.seconds),
        }
    finally:
        server.terminate()
        server.wait(5)
    if args.json:
        print(json.dumps(results))
        return
    print(
        f"{'checker':8} {'endpoints':>9} {'checks':>7} {'cpu ms/1000':>11} "
        f"{'late p50 ms':>11} {'late p99 ms':>11} {'late max':>9} {'threads':>7} {'down':>5}"
    )
    for name, r in results.items():
        print(
            f"{name:8} {r['endpoints']:9d} {r['checks']:7d} {r['cpu_ms_per_1000_checks']:11.2f} "
            f"{r['lateness_p50_ms']:11.3f} {r['lateness_p99_ms']:11.3f} "
            f"{r['lateness_max_ms']:9.2f} {r['threads_added']:7d} {r['unhealthy_endpoints']:5d}"
        )
    print("targets: no-op <= 20 ms CPU per 1,000 checks; p99 lateness < 20 ms; 1 thread")


if __name__ == "__main__":
    main()
