"""Requests per second of dephealth's /readyz under real gunicorn, against a trivial view.

Runs one gunicorn (sync workers) serving the benchmark project (``bench/django_bench``) and
drives it with ``wrk``: the trivial view ``/ping``, dephealth's ``/readyz`` (answered from the
snapshot; the checks run in the background) and, when installed in ``bench/.venv-peers``,
django-health-check's view with its database and cache checks (run on every request).
Rounds are interleaved so that load from elsewhere hits every endpoint alike. Besides req/s
it reports the server's CPU time per request (gunicorn master and workers, from /proc), which
load from other processes does not distort, and new PostgreSQL sessions per 1,000 requests
(``pg_stat_database.sessions``; other users of the database add a little noise). The CPU
ratio is trivial CPU/request divided by the endpoint's: the req/s it would reach on a quiet
machine, relative to the trivial view.

    apt-get install -y wrk
    uv pip install --target bench/.venv-peers/django-health-check --no-deps \
        django-health-check==4.8.0 dnspython
    PYTHONPATH=src python bench/django_requests.py [--rounds 5] [--duration 4] [--json]

(``scripts/bench`` installs both.)

Needs PostgreSQL (127.0.0.1:5432, db test) and Redis (127.0.0.1:6379).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

import psycopg
from benchstats import paired, summary

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEERS = HERE / ".venv-peers" / "django-health-check"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pg_sessions() -> int:
    with psycopg.connect("host=127.0.0.1 dbname=test user=postgres", autocommit=True) as conn:
        row = conn.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = 'test'"
        ).fetchone()
    assert row is not None
    return int(row[0])


def server_cpu(master: int) -> float:
    """CPU seconds used so far by gunicorn's master and workers (immune to load elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK")
    pids = [master]
    children = Path(f"/proc/{master}/task/{master}/children")
    if children.exists():
        pids += [int(pid) for pid in children.read_text().split()]
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def wrk(url: str, duration: float, connections: int) -> tuple[float, int]:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{round(duration)}s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if match is None:
        raise RuntimeError(f"wrk gave no rate:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if errors:
        print(f"  warning: {errors.group(1)} non-2xx answers from {url}", file=sys.stderr)
    count = re.search(r"(\d+) requests in", out)
    return float(match.group(1)), int(count.group(1)) if count else 0


def wait_ok(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer 200")
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=4)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install -y wrk")

    port = free_port()
    env = dict(os.environ)
    paths = [str(ROOT / "src"), str(HERE)]
    if PEERS.is_dir():
        paths.append(str(PEERS))
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["DJANGO_SETTINGS_MODULE"] = "django_bench.settings"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "django_bench.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
            "--chdir",
            str(HERE),
        ],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    endpoints = {"trivial /ping": "/ping", "dephealth /readyz": "/readyz"}
    notes: list[str] = []
    try:
        wait_ok(base + "/ping")
        for _ in range(4 * args.workers):  # every worker starts its checks
            urlopen(base + "/ping").close()
        wait_ok(base + "/readyz")
        try:
            wait_ok(base + "/ht/?format=json", timeout=5)
            endpoints["django-health-check /ht/ (db+cache)"] = "/ht/?format=json"
        except RuntimeError:
            notes.append(f"django-health-check not measured: not installed in {PEERS}")
        rates: dict[str, list[float]] = {name: [] for name in endpoints}
        sessions: dict[str, list[float]] = {name: [] for name in endpoints}
        cpu: dict[str, list[float]] = {name: [] for name in endpoints}
        names = list(endpoints)
        for round_ in range(args.rounds):
            order = names[round_ % len(names) :] + names[: round_ % len(names)]
            for name in order:
                before, cpu_before = pg_sessions(), server_cpu(server.pid)
                rate, count = wrk(base + endpoints[name], args.duration, args.connections)
                cpu_used = server_cpu(server.pid) - cpu_before
                new = pg_sessions() - before
                rates[name].append(rate)
                sessions[name].append(1000.0 * new / max(count, 1))
                cpu[name].append(1e6 * cpu_used / max(count, 1))
    finally:
        server.terminate()
        server.wait(15)

    cpu_baseline = statistics.median(cpu["trivial /ping"])
    if args.json:
        result = {
            "config": {
                "server": f"gunicorn sync, {args.workers} workers",
                "load": f"wrk -t1 -c{args.connections} -d{args.duration}s",
                "rounds": args.rounds,
                "cpus": os.cpu_count(),
                "load_average": os.getloadavg(),
            },
            "notes": notes,
            "endpoints": {
                name: {
                    "path": endpoints[name],
                    "rps": summary(rates[name], 1),
                    "cpu_us": summary(cpu[name], 1),
                    "pg_sessions_per_1000": summary(sessions[name], 1),
                    "rps_ratio": paired(rates[name], rates["trivial /ping"]),
                    "cpu_ratio": paired(cpu["trivial /ping"], cpu[name]),
                }
                for name in names
            },
        }
        print(json.dumps(result))
        return
    baseline = statistics.median(rates["trivial /ping"])
    print(
        f"gunicorn sync, {args.workers} workers; wrk -t1 -c{args.connections}, "
        f"{args.rounds} rounds x {args.duration:g}s, interleaved; {os.cpu_count()} CPUs; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'endpoint':38} {'median req/s':>12} {'min':>9} {'max':>9} {'ratio':>7} "
        f"{'paired':>7} {'server CPU us/req':>17} {'CPU ratio':>9} {'PG sessions/1k req':>19}"
    )
    for name in names:
        values = rates[name]
        median = statistics.median(values)
        # The ratio within each round (same minute, same load elsewhere), then its median.
        in_round = statistics.median(
            v / b for v, b in zip(values, rates["trivial /ping"], strict=True)
        )
        print(
            f"{name:38} {median:12.0f} {min(values):9.0f} {max(values):9.0f} "
            f"{median / baseline:7.3f} {in_round:7.3f} {statistics.median(cpu[name]):17.0f} "
            f"{cpu_baseline / statistics.median(cpu[name]):9.3f} "
            f"{statistics.median(sessions[name]):19.1f}"
        )

    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
