"""Flask under a real gunicorn: ``/readyz`` against a trivial route, and the cost of our hook.

Two gunicorn servers run side by side: one app with ``DepHealth`` installed (its
``before_request`` hook runs on every request) and the same app without it. ``wrk`` loads, in
alternating rounds, the trivial route without the extension, the trivial route with it, and
``/readyz``. Prints the median req/s of each, the spread (min..max over rounds) and the ratios:

- ``/readyz`` / trivial route of the same app (target >= 0.95);
- trivial route with the extension / without (target >= 0.97, i.e. a hook cost <= 3%).

    .venv/bin/python bench/flask_requests.py [--rounds 7] [--seconds 3] [--connections 8]

Needs ``wrk`` (``apt-get install -y wrk``).
"""

from __future__ import annotations

import argparse
import http.client
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
from pathlib import Path

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


def wrk(port: int, path: str, args: argparse.Namespace) -> float:
    command = ["wrk", "-t", "1", "-c", str(args.connections), "-d", f"{args.seconds}s"]
    command.append(f"http://127.0.0.1:{port}{path}")
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if match is None:
        raise SystemExit(f"cannot read wrk's output:\n{output}")
    if non_2xx is not None:
        raise SystemExit(f"{path} answered errors:\n{output}")
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")

    dependency_port = tcp_listener()
    plain, plain_port = start_gunicorn(False, args, dependency_port)
    ours, ours_port = start_gunicorn(True, args, dependency_port)
    series = {
        "trivial, no extension": (plain_port, "/trivial"),
        "trivial, with extension": (ours_port, "/trivial"),
        "/readyz": (ours_port, "/readyz"),
    }
    results: dict[str, list[float]] = {name: [] for name in series}
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
                results[name].append(wrk(port, path, args))
    finally:
        for process in (plain, ours):
            process.send_signal(signal.SIGTERM)
            process.wait(30)

    print(
        f"gunicorn {args.worker_class}, {args.workers} worker(s) x {args.threads} threads; "
        f"wrk -t1 -c{args.connections}, {args.rounds} rounds of {args.seconds}s, alternated"
    )
    medians = {}
    for name, values in results.items():
        medians[name] = statistics.median(values)
        print(
            f"  {name:26s} median {medians[name]:9.0f} req/s   "
            f"spread {min(values):.0f}..{max(values):.0f}"
        )
    readyz_ratio = medians["/readyz"] / medians["trivial, with extension"]
    hook_ratio = medians["trivial, with extension"] / medians["trivial, no extension"]
    # Ratios within a round compare runs seconds apart, less exposed to the machine's drift.
    readyz_rounds = [
        r / t for r, t in zip(results["/readyz"], results["trivial, with extension"], strict=True)
    ]
    hook_rounds = [
        w / n
        for w, n in zip(
            results["trivial, with extension"], results["trivial, no extension"], strict=True
        )
    ]
    print(
        f"/readyz / trivial route (same app):  {readyz_ratio:.3f} of medians, "
        f"{statistics.median(readyz_rounds):.3f} median per round "
        f"({min(readyz_rounds):.2f}..{max(readyz_rounds):.2f})  target >= 0.95"
    )
    print(
        f"trivial with extension / without:    {hook_ratio:.3f} of medians, "
        f"{statistics.median(hook_rounds):.3f} median per round "
        f"({min(hook_rounds):.2f}..{max(hook_rounds):.2f})  target >= 0.97 (hook cost <= 3%)"
    )


if __name__ == "__main__":
    main()
