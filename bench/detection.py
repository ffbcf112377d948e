"""Detection time of an outage, through real apps: ours and dephealth's, side by side.

Two dependencies, a TCP server (``TcpStubServer``, in this process) and a private redis-server
(``PrivateRedis``), are watched by two apps under uvicorn at the same time:

- ours: ``app_ours.py`` (Starlette + DepHealthMiddleware), polled on ``/readyz``;
- dephealth 0.8.2: ``app_dephealth.py`` (FastAPI + dephealth_fastapi), polled on
  ``/health/dependencies``, its health endpoint (the Python of bench/.venv-peers).

Both check every 1 s; ours with a 0.5 s timeout, dephealth with 1 s (its minimum). One poller
thread per app asks every 10 ms. A cycle waits a random moment, stops one server, waits until
both apps answer 503, waits another random moment, starts the server again (same port) and
waits until both answer 200. Down time runs from the moment the bench began to stop the server
to the first 503 seen; up time from the moment the server accepted connections again to the
first 200. Targets: down <= interval + timeout + 100 ms, up <= interval + 100 ms.

    python bench/detection.py [--cycles 10] [--json]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchserver import PEER_PYTHON, Uvicorn  # noqa: E402
from benchstats import summary  # noqa: E402
from tests.support.servers import PrivateRedis  # noqa: E402
from tests.support.stubs import TcpStubServer  # noqa: E402

INTERVAL = 1.0
TIMEOUT = 0.5
PEER_TIMEOUT = 1.0
POLL = 0.010
#: How long a cycle waits for an app to notice before counting the change as not seen.
GIVE_UP = 6.0


class Poller(threading.Thread):
    """Asks one URL every 10 ms; notes the time of every change of status code."""

    def __init__(self, port: int, path: str) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.path = path
        self.status = 0
        self.changed_at = 0.0
        self._stop_event = threading.Event()

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
        tick = time.monotonic()
        while not self._stop_event.is_set():
            try:
                conn.request("GET", self.path)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                status = 0
            if status != self.status:
                # The answer's arrival: the change happened before it, never after.
                self.changed_at = time.monotonic()
                self.status = status
            tick += POLL
            delay = tick - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                tick = time.monotonic()
        conn.close()

    def stop(self) -> None:
        self._stop_event.set()
        self.join(5)

    def wait_for(self, status: int, since: float) -> float | None:
        """Seconds from ``since`` to this app answering ``status``; ``None`` if it did not."""
        deadline = time.monotonic() + GIVE_UP
        while time.monotonic() < deadline:
            if self.status == status and self.changed_at >= since:
                return self.changed_at - since
            time.sleep(0.002)
        return None


class Stub:
    """The TCP dependency: ``TcpStubServer`` with the same start/stop surface as the redis."""

    def __init__(self) -> None:
        self.server = TcpStubServer("close").start()
        self.port = self.server.port

    def stop(self) -> None:
        self.server.stop()

    def start(self) -> None:
        self.server.start()

    def close(self) -> None:
        self.server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--peer-python", type=Path, default=PEER_PYTHON)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    notes: list[str] = []

    tcp = Stub()
    redis = PrivateRedis().start()
    dependencies: dict[str, Any] = {"tcp": tcp, "redis": redis}
    env = {
        "DH_BENCH_MIDDLEWARE": "1",
        "DH_BENCH_DEPS": f"tcp=127.0.0.1:{tcp.port},redis={redis.url}",
        "DH_BENCH_INTERVAL": str(INTERVAL),
        "DH_BENCH_TIMEOUT": str(TIMEOUT),
    }
    apps: dict[str, Uvicorn] = {}
    pollers: dict[str, Poller] = {}
    samples: dict[str, dict[str, dict[str, list[float]]]] = {}
    missed: dict[str, dict[str, int]] = {}
    began = time.monotonic()
    try:
        apps["ours"] = Uvicorn(sys.executable, "app_ours", env)
        pollers["ours"] = Poller(apps["ours"].port, "/readyz")
        if args.peer_python.exists():
            apps["dephealth"] = Uvicorn(str(args.peer_python), "app_dephealth", env)
            pollers["dephealth"] = Poller(apps["dephealth"].port, "/health/dependencies")
        else:
            notes.append(f"dephealth not measured: no Python with dephealth at {args.peer_python}")
        for poller in pollers.values():
            poller.start()
        for name, poller in pollers.items():
            if poller.wait_for(200, 0.0) is None:
                raise RuntimeError(f"{name}: the health endpoint never answered 200")
        for kind in dependencies:
            samples[kind] = {lib: {"down": [], "up": []} for lib in pollers}
            missed[kind] = dict.fromkeys(pollers, 0)
        for cycle in range(args.cycles):
            for kind, server in dependencies.items():
                time.sleep(rng.uniform(0.2, 0.2 + INTERVAL))
                stopped = time.monotonic()
                server.stop()
                for lib, poller in pollers.items():
                    seconds = poller.wait_for(503, stopped)
                    if seconds is None:
                        missed[kind][lib] += 1
                    else:
                        samples[kind][lib]["down"].append(seconds)
                time.sleep(rng.uniform(0.0, INTERVAL))
                server.start()
                back = time.monotonic()
                for lib, poller in pollers.items():
                    seconds = poller.wait_for(200, back)
                    if seconds is None:
                        missed[kind][lib] += 1
                        if poller.wait_for(200, 0.0) is None:
                            raise RuntimeError(f"{lib} did not come back after {kind} returned")
                    else:
                        samples[kind][lib]["up"].append(seconds)
            print(f"cycle {cycle + 1}/{args.cycles} done", file=sys.stderr, flush=True)
    finally:
        for poller in pollers.values():
            poller.stop()
        for app in apps.values():
            app.stop()
        tcp.close()
        redis.close()

    result: dict[str, Any] = {
        "config": {
            "interval_s": INTERVAL,
            "timeout_s": TIMEOUT,
            "peer_timeout_s": PEER_TIMEOUT,
            "cycles": args.cycles,
            "poll_ms": POLL * 1000,
            "elapsed_s": round(time.monotonic() - began, 1),
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
        },
        "targets": {"down_s": INTERVAL + TIMEOUT + 0.1, "up_s": INTERVAL + 0.1},
        "notes": notes,
        "results": {
            kind: {
                lib: {
                    "down_s": summary(values["down"]),
                    "up_s": summary(values["up"]),
                    "samples_down": [round(v, 3) for v in values["down"]],
                    "samples_up": [round(v, 3) for v in values["up"]],
                    "missed": missed[kind][lib],
                }
                for lib, values in by_lib.items()
            }
            for kind, by_lib in samples.items()
        },
    }
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"interval {INTERVAL:g} s, timeout {TIMEOUT:g} s (dephealth {PEER_TIMEOUT:g} s); "
        f"{args.cycles} cycles; medians (min..max), seconds"
    )
    for kind, by_lib in result["results"].items():
        for lib, row in by_lib.items():
            down, up = row["down_s"], row["up_s"]
            print(
                f"  {kind:6} {lib:10} down {down['median']} ({down['min']}..{down['max']})  "
                f"up {up['median']} ({up['min']}..{up['max']})  not seen {row['missed']}"
            )
    targets = result["targets"]
    print(f"targets: down <= {targets['down_s']:g} s, up <= {targets['up_s']:g} s")
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
