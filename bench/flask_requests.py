"""Flask under a real gunicorn: ``/readyz`` against a trivial route, and the cost of our hook.

Two gunicorn servers run side by side: one app with ``DepHealth`` installed (checks started
at the first request, views registered) and the same app without it. ``wrk`` loads, in
alternating rounds, the trivial route without the extension, the trivial route with it, and
``/readyz``. Prints the median req/s and server CPU per request (gunicorn master and workers,
from /proc) of each, the spread (min..max over rounds), and per-round ratios (the CPU one is the
steadier on a shared machine):

- ``/readyz`` / trivial route of the same app (target >= 0.95);
- trivial route with the extension / without (target >= 0.97, i.e. a hook cost <= 3%).

    .venv/bin/python bench/flask_requests.py [--rounds 7] [--seconds 3] [--connections 8] [--json]

Needs ``wrk`` (``apt-get install -y wrk``).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchstats import paired, summary

BENCH = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def tcp_listener() -> int:
    """A loopback TCP server the app's dependency check connects to."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)

    def accept() -> None:
        while True:
            connection, _ = sock.accept()
            connection.close()

    threading.Thread(target=accept, daemon=True).start()
    port: int = sock.getsockname()[1]
    return port


def start_gunicorn(
    extension: bool, args: argparse.Namespace, dependency_port: int
) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {**os.environ, "BENCH_EXTENSION": "1" if extension else "0"}
    env["BENCH_TCP_PORT"] = str(dependency_port)
    command = [
        sys.executable, "-m", "gunicorn",
        "--chdir", str(BENCH),
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(args.workers),
        "--worker-class", args.worker_class,
        "--threads", str(args.threads),
        "--no-control-socket",
        "--log-level", "warning",
        "flask_bench_app:app",
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + 30
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/trivial")
            connection.getresponse().read()
            connection.close()
            break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise SystemExit("gunicorn did not start") from None
            time.sleep(0.1)
    return process, port


def server_cpu(process: subprocess.Popen[bytes]) -> float:
    """CPU seconds used so far by a gunicorn master and its workers (Linux /proc)."""
    pids = [process.pid]
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    pids += [int(pid) for pid in children.read_text().split()]
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def wrk(port: int, path: str, args: argparse.Namespace) -> tuple[float, int]:
    command = ["wrk", "-t", "1", "-c", str(args.connections), "-d", f"{args.seconds}s"]
    command.append(f"http://127.0.0.1:{port}{path}")
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    count = re.search(r"(\d+) requests in", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if match is None or count is None:
        raise SystemExit(f"cannot read wrk's output:\n{output}")
    if non_2xx is not None:
        raise SystemExit(f"{path} answered errors:\n{output}")
    return float(match.group(1)), int(count.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--in-process-calls", type=int, default=2000)
    parser.add_argument("--in-process-repeats", type=int, default=15)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")

    dependency_port = tcp_listener()
    sys.path.insert(0, str(BENCH))
    best = in_process(dependency_port, args.in_process_calls, args.in_process_repeats)
    if not args.json:
        print_in_process(best, args.in_process_calls, args.in_process_repeats)
    plain, plain_port = start_gunicorn(False, args, dependency_port)
    ours, ours_port = start_gunicorn(True, args, dependency_port)
    servers = {plain_port: plain, ours_port: ours}
    series = {
        "trivial, no extension": (plain_port, "/trivial"),
        "trivial, with extension": (ours_port, "/trivial"),
        "/readyz": (ours_port, "/readyz"),
    }
    rates: dict[str, list[float]] = {name: [] for name in series}
    cpu: dict[str, list[float]] = {name: [] for name in series}
    try:
        # Warm up both apps; the first request starts the checks, /readyz must answer 200.
        for port, path in series.values():
            wrk(port, path, argparse.Namespace(**{**vars(args), "seconds": 1}))
        for round_index in range(args.rounds):
            names = list(series)
            if round_index % 2:
                names.reverse()  # alternate the order so that drift hits every series alike
            for name in names:
                port, path = series[name]
                before = server_cpu(servers[port])
                rate, count = wrk(port, path, args)
                rates[name].append(rate)
                cpu[name].append((server_cpu(servers[port]) - before) / count * 1e6)
    finally:
        for process in (plain, ours):
            process.send_signal(signal.SIGTERM)
            process.wait(30)

    if args.json:
        print(json.dumps(as_json(args, rates, cpu, best)))
        return
    print(
        f"gunicorn {args.worker_class}, {args.workers} worker(s) x {args.threads} threads; "
        f"wrk -t1 -c{args.connections}, {args.rounds} rounds of {args.seconds}s, alternated; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    for name in series:
        print(
            f"  {name:24s} {statistics.median(rates[name]):7.0f} req/s "
            f"({min(rates[name]):.0f}..{max(rates[name]):.0f})   "
            f"{statistics.median(cpu[name]):6.1f} us CPU/request "
            f"({min(cpu[name]):.1f}..{max(cpu[name]):.1f})"
        )
    report(
        "/readyz / trivial route, same app",
        [r / t for r, t in zip(rates["/readyz"], rates["trivial, with extension"], strict=True)],
        [t / r for r, t in zip(cpu["/readyz"], cpu["trivial, with extension"], strict=True)],
        "target >= 0.95",
    )
    with_ext, without = rates["trivial, with extension"], rates["trivial, no extension"]
    report(
        "trivial route, with / without",
        [w / n for w, n in zip(with_ext, without, strict=True)],
        [
            n / w
            for w, n in zip(
                cpu["trivial, with extension"], cpu["trivial, no extension"], strict=True
            )
        ],
        "target >= 0.97 (hook cost <= 3%)",
    )


def as_json(
    args: argparse.Namespace,
    rates: dict[str, list[float]],
    cpu: dict[str, list[float]],
    best: dict[str, float],
) -> dict[str, Any]:
    """The figures in the shape ``bench/report.py`` reads (as ``starlette_requests.py``)."""
    trivial, plain = "trivial, with extension", "trivial, no extension"
    return {
        "config": {
            "server": f"gunicorn {args.worker_class}, {args.workers} worker(s) x "
            f"{args.threads} threads",
            "load": f"wrk -t1 -c{args.connections} -d{args.seconds}s",
            "rounds": args.rounds,
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
        },
        "series": {
            name: {"rps": summary(rates[name], 1), "cpu_us": summary(cpu[name], 1)}
            for name in rates
        },
        "ours": {
            "middleware_rps": paired(rates[trivial], rates[plain]),
            "middleware_cpu": paired(cpu[plain], cpu[trivial]),
            "health_rps": paired(rates["/readyz"], rates[trivial]),
            "health_cpu": paired(cpu[trivial], cpu["/readyz"]),
        },
        "in_process_us": {name: round(micros, 2) for name, micros in best.items()},
    }


def in_process(dependency_port: int, calls: int, repeats: int) -> dict[str, float]:
    """WSGI calls without a server: the best of many repeats, immune to the machine's load."""
    import timeit

    from flask import Flask
    from flask_bench_app import create_app
    from werkzeug.test import EnvironBuilder

    plain = create_app(False)
    ours = create_app(True, dependency_port)
    environs = {path: EnvironBuilder(path=path).get_environ() for path in ("/trivial", "/readyz")}

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: object = None
    ) -> None:
        return None

    def call(app: Flask, path: str) -> Callable[[], None]:
        def run() -> None:
            for _ in app(dict(environs[path]), start_response):
                pass

        return run

    runs = {
        "trivial, no extension": call(plain, "/trivial"),
        "trivial, with extension": call(ours, "/trivial"),
        "/readyz": call(ours, "/readyz"),
    }
    runs["/readyz"]()  # first request: starts the checks
    deadline = time.monotonic() + 10
    while ours.extensions["dephealth"].engine.health() != {"backend": True}:
        if time.monotonic() > deadline:
            raise SystemExit("the in-process app did not turn ready")
        time.sleep(0.05)
    best = {name: float("inf") for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            best[name] = min(best[name], timeit.timeit(run, number=calls) / calls * 1e6)
    ours.extensions["dephealth"].stop()
    return best


def print_in_process(best: dict[str, float], calls: int, repeats: int) -> None:
    print(f"in process, WSGI calls without a server (best of {repeats} x {calls} calls):")
    for name, micros in best.items():
        print(f"  {name:24s} {micros:6.1f} us/request")
    trivial, with_ext, readyz = (
        best["trivial, no extension"],
        best["trivial, with extension"],
        best["/readyz"],
    )
    print(
        f"  /readyz / trivial route, same app: {with_ext / readyz:.3f}   "
        f"trivial with / without: {trivial / with_ext:.3f} ({with_ext - trivial:+.1f} us)"
    )


def report(title: str, rate_ratios: list[float], cpu_ratios: list[float], target: str) -> None:
    """Per-round ratios (runs seconds apart) as medians with their spread; >1 is faster."""
    print(
        f"{title:34s} req/s ratio {statistics.median(rate_ratios):.3f} "
        f"({min(rate_ratios):.2f}..{max(rate_ratios):.2f}), "
        f"CPU-per-request ratio {statistics.median(cpu_ratios):.3f} "
        f"({min(cpu_ratios):.2f}..{max(cpu_ratios):.2f})  {target}"
    )


if __name__ == "__main__":
    main()
