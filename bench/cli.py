"""The ``dephealth`` command at scale: ``serve`` with 10,000 TCP endpoints, ``/metrics`` at
10,000 endpoints, and ``check`` wall time for 50 dependencies.

1. ``serve``: a listener process (this script with ``--listener``) binds 100 loopback addresses
   (127.0.10.1-100) times 100 ports and notes when each connection arrives. ``dephealth serve``
   checks the 10,000 endpoints (100 dependencies of 100 hosts) every 10 s. After every endpoint
   has a result, a window of ``--window`` seconds measures the serve process's CPU per 1,000
   checks (the checks are the connections the listener saw), the endpoints reported down at the
   end, and the lateness the servers see: for each endpoint, the gap between two checks minus
   the interval (the engine does not export its own lateness yet). RSS per 1,000 endpoints is
   (RSS at 10,000 - RSS at 100) / 9.9, the 100-endpoint run measured beside it.
2. ``/metrics`` at 10,000 endpoints, in process (a checker that always succeeds, so the data is
   the same every time): prometheus_client's ``generate_latest`` on the engine's registry, then
   the first scrape of a snapshot version through the ASGI app ``serve`` runs (it renders), then
   the next scrapes of the same version (they reuse that render), and the size of the answer.
3. ``check``: wall time of ``dephealth check`` with 50 TCP dependencies all up, and with one more
   HTTP dependency black-holed (a server that accepts and never answers, timeout 1 s), against
   ``dephealth --version`` (the interpreter's start-up and the imports) measured alternately.

    python bench/cli.py [--endpoints 10000] [--interval 10] [--window 30] [--runs 3] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import resource
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchstats import ratio, summary  # noqa: E402

DEPHEALTH = str(Path(sys.executable).with_name("dephealth"))
HOSTS_PER_DEPENDENCY = 100


def say(message: str) -> None:
    print(f"bench/cli: {message}", file=sys.stderr, flush=True)


# -- the listener process ----------------------------------------------------------------------


def listener_main(addresses: int, ports: int, interval: float) -> None:
    """Accept and close connections on ``addresses`` x ``ports``; answer commands on stdin."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sel = selectors.DefaultSelector()
    chosen: list[int] = []
    ips = [f"127.0.10.{i}" for i in range(1, addresses + 1)]
    while len(chosen) < ports:
        sockets = []
        try:
            first = socket.socket()
            first.bind((ips[0], 0))
            port = first.getsockname()[1]
            sockets.append(first)
            for ip in ips[1:]:
                sock = socket.socket()
                sock.bind((ip, port))
                sockets.append(sock)
        except OSError:
            for sock in sockets:
                sock.close()
            continue
        for sock in sockets:
            sock.listen(1024)
            sock.setblocking(False)
            sel.register(sock, selectors.EVENT_READ, sock.getsockname())
        chosen.append(port)
    arrivals: dict[tuple[str, int], list[float]] = {}
    sel.register(sys.stdin, selectors.EVENT_READ, None)
    print(json.dumps({"ports": chosen}), flush=True)
    total = 0
    while True:
        for key, _ in sel.select():
            if key.data is None:
                line = sys.stdin.readline()
                if not line:
                    return
                command = line.split()
                if command[0] == "count":
                    print(json.dumps({"count": total}), flush=True)
                elif command[0] == "stats":
                    start, end = float(command[1]), float(command[2])
                    print(json.dumps(_lateness(arrivals, start, end, interval)), flush=True)
                continue
            listener = key.fileobj
            assert isinstance(listener, socket.socket)
            while True:
                try:
                    conn, _ = listener.accept()
                except BlockingIOError:
                    break
                conn.close()
                total += 1
                arrivals.setdefault(key.data, []).append(time.monotonic())


def _lateness(
    arrivals: dict[tuple[str, int], list[float]], start: float, end: float, interval: float
) -> dict[str, Any]:
    gaps: list[float] = []
    checks = 0
    for times in arrivals.values():
        inside = [t for t in times if start <= t <= end]
        checks += len(inside)
        gaps.extend(b - a - interval for a, b in itertools.pairwise(inside))
    gaps.sort()

    def pct(p: float) -> float | None:
        return round(gaps[min(len(gaps) - 1, int(p * len(gaps)))] * 1000, 2) if gaps else None

    return {
        "checks": checks,
        "gaps": len(gaps),
        "lateness_ms": {"p50": pct(0.5), "p99": pct(0.99), "max": pct(1.0) if gaps else None},
    }


class Listener:
    def __init__(self, addresses: int, ports: int, interval: float) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--listener", str(addresses), str(ports), str(interval)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.ports: list[int] = self._read()["ports"]

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the listener process ended")
        data: dict[str, Any] = json.loads(line)
        return data

    def ask(self, command: str) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)


# -- serve at scale ------------------------------------------------------------------------------


def _config(path: Path, ports: list[int], hosts: int, interval: float) -> Path:
    lines = [
        'name = "bench"',
        'group = "cli"',
        f"check_interval = {interval:g}",
        f"timeout = {min(2.0, interval / 2):g}",
    ]
    for index, port in enumerate(ports):
        url = ",".join(f"127.0.10.{i}:{port}" for i in range(1, hosts + 1))
        lines += [f"[dependencies.dep{index:03d}]", f'url = "tcp://{url}"', "critical = true"]
    path.write_text("\n".join(lines) + "\n")
    return path


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _scrape(port: int) -> tuple[float, bytes]:
    import httpx

    started = time.perf_counter()
    response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=120)
    return time.perf_counter() - started, response.content


def _health_samples(body: bytes) -> tuple[int, int]:
    """(endpoints exported, endpoints at 0) from app_dependency_health."""
    total = down = 0
    for line in body.decode().splitlines():
        if line.startswith("app_dependency_health{"):
            total += 1
            down += line.endswith(" 0.0")
    return total, down


def run_serve(
    listener: Listener, dependencies: int, interval: float, window: float
) -> dict[str, Any]:
    endpoints = dependencies * HOSTS_PER_DEPENDENCY
    with tempfile.TemporaryDirectory() as tmp:
        config = _config(
            Path(tmp) / "big.toml", listener.ports[:dependencies], HOSTS_PER_DEPENDENCY, interval
        )
        port = _free_port()
        log = open(Path(tmp) / "serve.log", "w")  # noqa: SIM115
        started = time.monotonic()
        serve = subprocess.Popen(
            [
                DEPHEALTH,
                "serve",
                "--config",
                str(config),
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            stderr=log,
            stdout=subprocess.DEVNULL,
        )
        try:
            base = listener.ask("count")["count"]
            deadline = started + interval * 3 + 60
            while listener.ask("count")["count"] - base < endpoints:
                if time.monotonic() > deadline or serve.poll() is not None:
                    log.flush()
                    tail = Path(log.name).read_text()[-500:]
                    raise RuntimeError(f"serve did not check every endpoint: {tail}")
                time.sleep(0.2)
            first_round = time.monotonic() - started
            time.sleep(min(2.0, interval / 2))
            rss = _rss_mb(serve.pid)
            w0, cpu0 = time.monotonic(), _cpu_seconds(serve.pid)
            time.sleep(window)
            w1, cpu1 = time.monotonic(), _cpu_seconds(serve.pid)
            stats = listener.ask(f"stats {w0} {w1}")
            scrape_s, body = _scrape(port)
            again_s, _ = _scrape(port)
            exported, down = _health_samples(body)
            serve.send_signal(signal.SIGTERM)
            t0 = time.monotonic()
            code = serve.wait(timeout=60)
            stop_s = time.monotonic() - t0
        finally:
            if serve.poll() is None:
                serve.kill()
                serve.wait()
            log.close()
    checks = stats["checks"]
    return {
        "endpoints": endpoints,
        "first_round_s": round(first_round, 2),
        "window_s": round(w1 - w0, 2),
        "checks": checks,
        "checks_per_s": round(checks / (w1 - w0), 1),
        "expected_per_s": round(endpoints / interval, 1),
        "cpu_ms_per_1000_checks": round((cpu1 - cpu0) * 1000 / checks * 1000, 1)
        if checks
        else None,
        "cpu_pct": round((cpu1 - cpu0) / (w1 - w0) * 100, 1),
        "rss_mb": round(rss, 1),
        "lateness_ms": stats["lateness_ms"],
        "exported": exported,
        "down": down,
        "scrape_s": round(scrape_s, 3),
        "scrape_again_s": round(again_s, 3),
        "metrics_bytes": len(body),
        "sigterm_exit": code,
        "sigterm_s": round(stop_s, 2),
    }


# -- /metrics in process ---------------------------------------------------------------------


class AlwaysOk:
    async def check(self, endpoint: object) -> None:
        return None


async def run_metrics(endpoints: int, scrapes: int) -> dict[str, Any]:
    import httpx
    from prometheus_client import CollectorRegistry, generate_latest

    from dephealth_core import Dependency, DependencyHealth, HealthViews, Kind
    from dephealth_core._asgi import HealthApp

    kind = Kind("tcp", default_port=None, make_checker=lambda dep, target: AlwaysOk())
    deps = []
    for index in range(endpoints // HOSTS_PER_DEPENDENCY):
        url = ",".join(f"10.0.{index}.{i}:5432" for i in range(1, HOSTS_PER_DEPENDENCY + 1))
        deps.append(Dependency(f"dep{index:03d}", kind=kind, critical=True, url=f"tcp://{url}"))
    registry = CollectorRegistry()
    engine = DependencyHealth("bench", "cli", *deps, registry=registry, environ={})
    await engine.check_now()
    generate = []
    for _ in range(3):
        t0 = time.perf_counter()
        body = generate_latest(registry)
        generate.append(time.perf_counter() - t0)
    app = HealthApp(engine, HealthViews(engine, metrics=True, registry=registry))
    transport = httpx.ASGITransport(app=app)
    first, cached = [], []
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for _ in range(3):
            await engine.check_now()  # a new snapshot version: the next scrape renders
            t0 = time.perf_counter()
            response = await client.get("/metrics")
            first.append(time.perf_counter() - t0)
            for _ in range(scrapes):
                t0 = time.perf_counter()
                again = await client.get("/metrics")
                cached.append(time.perf_counter() - t0)
                assert again.content is not None
    samples = sum(1 for line in body.splitlines() if line and not line.startswith(b"#"))
    return {
        "endpoints": endpoints,
        "samples": samples,
        "bytes": len(response.content),
        "generate_latest_ms": summary([t * 1000 for t in generate], 1),
        "first_scrape_ms": summary([t * 1000 for t in first], 1),
        "cached_scrape_ms": summary([t * 1000 for t in cached], 2),
        "renders": app.metrics_renders,
        "scrapes": len(first) + len(cached),
        "cached_vs_generate_latest": ratio(statistics.median(cached), statistics.median(generate)),
    }


# -- check wall time -------------------------------------------------------------------------


def _timed(args: list[str]) -> tuple[float, int]:
    t0 = time.perf_counter()
    result = subprocess.run(args, capture_output=True, check=False, timeout=120)
    return time.perf_counter() - t0, result.returncode


def run_check(listener: Listener, runs: int) -> dict[str, Any]:
    from tests.support.stubs import TcpStubServer

    hold = TcpStubServer("hold").start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            lines = ['name = "bench"', 'group = "cli"', "timeout = 1"]
            for index in range(50):
                port = listener.ports[index % len(listener.ports)]
                host = f"127.0.10.{index // len(listener.ports) + 1}"
                lines += [
                    f"[dependencies.dep{index:02d}]",
                    f'url = "tcp://{host}:{port}"',
                    "critical = true",
                ]
            up = Path(tmp) / "up.toml"
            up.write_text("\n".join(lines) + "\n")
            black = Path(tmp) / "blackholed.toml"
            black.write_text(
                "\n".join(
                    [
                        *lines,
                        "[dependencies.silent]",
                        f'url = "http://127.0.0.1:{hold.port}"',
                        "critical = true",
                    ]
                )
                + "\n"
            )
            base, all_up, one_down = [], [], []
            codes: dict[str, set[int]] = {"up": set(), "blackholed": set()}
            for _ in range(runs):
                base.append(_timed([DEPHEALTH, "--version"])[0])
                wall, code = _timed([DEPHEALTH, "check", "--config", str(up)])
                all_up.append(wall)
                codes["up"].add(code)
                wall, code = _timed([DEPHEALTH, "check", "--config", str(black)])
                one_down.append(wall)
                codes["blackholed"].add(code)
    finally:
        hold.stop()
    return {
        "dependencies": 50,
        "timeout_s": 1.0,
        "version_s": summary(base),
        "all_up_s": summary(all_up),
        "blackholed_s": summary(one_down),
        "exit_codes": {k: sorted(v) for k, v in codes.items()},
        "all_up_over_startup": ratio(statistics.median(all_up), statistics.median(base)),
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--listener":
        listener_main(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=10_000)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--window", type=float, default=30.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scrapes", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    dependencies = max(1, args.endpoints // HOSTS_PER_DEPENDENCY)
    result: dict[str, Any] = {
        "config": {
            "endpoints": dependencies * HOSTS_PER_DEPENDENCY,
            "interval_s": args.interval,
            "window_s": args.window,
            "runs": args.runs,
        }
    }
    listener = Listener(HOSTS_PER_DEPENDENCY, dependencies, args.interval)
    try:
        say("check: 50 dependencies, all up and one black-holed")
        result["check"] = run_check(listener, args.runs)
        say(f"serve: {dependencies * HOSTS_PER_DEPENDENCY} endpoints every {args.interval:g}s")
        result["serve"] = run_serve(listener, dependencies, args.interval, args.window)
        say("serve: 100 endpoints, for the RSS baseline")
        small = run_serve(listener, 1, args.interval, min(args.window, 5.0))
        result["serve_small"] = small
        big = result["serve"]
        result["serve"]["rss_mb_per_1000_endpoints"] = round(
            (big["rss_mb"] - small["rss_mb"]) / ((big["endpoints"] - small["endpoints"]) / 1000), 2
        )
    finally:
        listener.close()
    say(f"/metrics in process: {dependencies * HOSTS_PER_DEPENDENCY} endpoints")
    result["metrics"] = asyncio.run(run_metrics(dependencies * HOSTS_PER_DEPENDENCY, args.scrapes))
    result["config"]["load_average"] = list(os.getloadavg())
    if args.json:
        print(json.dumps(result))
    else:
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
