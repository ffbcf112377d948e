"""Dependency load with N gunicorn workers against 1, and the takeover time after kill -9.

A TCP dependency on a counting server, checked every second, under gunicorn with 1 worker and
with N workers (sharing on, then off). Prints the checks per second the server saw in each run,
the ratio N-workers/1-worker, and the seconds until another worker runs the checks after the
checking worker is killed with SIGKILL.

    .venv/bin/python bench/workers.py [--workers 4] [--seconds 10] [--kills 3]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support._process import poll_until
from tests.support.app_servers import Gunicorn, get
from tests.support.stubs import TcpStubServer

APP = "tests.core.workers.flask_workers_app:app"


def leader(gunicorn: Gunicorn, exclude: int = 0) -> int:
    found: list[int] = []

    def look() -> bool:
        answer = get(gunicorn.port, "/test-leader")
        if answer.status == 200 and json.loads(answer.body)["leader"] and answer.pid != exclude:
            found.append(answer.pid)
        return bool(found)

    poll_until(look, 60, "no worker runs the shared checks")
    return found[0]


def checks_per_second(workers: int, seconds: float, share: str) -> float:
    with TcpStubServer("close") as stub:
        gunicorn = Gunicorn(
            workers=workers,
            app=APP,
            env={"TEST_TCP_PORT": str(stub.port), "DEPHEALTH_SHARE_WORKERS": share},
        )
        gunicorn.start()
        try:
            gunicorn.poll_workers("/readyz", lambda a: a.status == 200, timeout=60)
            before, started = stub.accepted, time.monotonic()
            time.sleep(seconds)
            return (stub.accepted - before) / (time.monotonic() - started)
        finally:
            gunicorn.close()


def takeover_times(workers: int, kills: int) -> list[float]:
    times: list[float] = []
    with TcpStubServer("close") as stub:
        gunicorn = Gunicorn(workers=workers, app=APP, env={"TEST_TCP_PORT": str(stub.port)})
        gunicorn.start()
        try:
            gunicorn.poll_workers("/readyz", lambda a: a.status == 200, timeout=60)
            for _ in range(kills):
                old = leader(gunicorn)
                killed = time.monotonic()
                os.kill(old, signal.SIGKILL)
                leader(gunicorn, exclude=old)
                times.append(time.monotonic() - killed)
                gunicorn.poll_workers("/readyz", lambda a: a.status == 200, timeout=60)
        finally:
            gunicorn.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--kills", type=int, default=3)
    args = parser.parse_args()
    one = checks_per_second(1, args.seconds, "yes")
    shared = checks_per_second(args.workers, args.seconds, "yes")
    unshared = checks_per_second(args.workers, args.seconds, "no")
    print(
        f"checks/s, interval 1 s: 1 worker {one:.2f}; {args.workers} workers shared "
        f"{shared:.2f}, not shared {unshared:.2f}"
    )
    print(
        f"ratio {args.workers} workers / 1 worker: shared {shared / one:.2f}, "
        f"not shared {unshared / one:.2f}"
    )
    times = takeover_times(args.workers, args.kills)
    print(
        "takeover after kill -9 (s): "
        + ", ".join(f"{t:.2f}" for t in times)
        + f"; max {max(times):.2f}"
    )


if __name__ == "__main__":
    main()
