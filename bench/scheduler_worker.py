"""One process of the scheduler benchmark: N endpoints at a 1 s interval, measured from inside.

Run by ``bench/scheduler.py``, once per library, mode, checker and size, with the Python of the
library under test: ours with the project's virtualenv, dephealth with ``bench/.venv-peers``.
Nothing of the other library is imported. Modes (``--lib``):

- ``ours``: the sync-app mode, ``start_background()`` (one thread, the loop the runner picks);
- ``ours-asyncio``, ``ours-uvloop``: ``start()`` on an asyncio or uvloop event loop that the
  benchmark runs in one thread of its own, as a Starlette app's server would;
- ``dephealth-async``, ``dephealth-uvloop``: dephealth's asyncio mode on such a loop;
- ``dephealth-thread``: dephealth's thread mode (one thread and loop per endpoint).

Prints one JSON object:

- ``checks``: check starts seen in the measured window (every checker is wrapped in a recorder
  that notes the start time of each call, the same wrapper for every library);
- ``cpu_ms_per_1000_checks``: process CPU time (all threads) over the window, per 1,000 checks;
- ``gap_late_*_ms``: how much later than one interval after the previous start of the same
  endpoint each check started (start-to-start gap minus the interval), p50 / p99 / max;
- ``schedule_late_*_ms`` (ours only): lateness against the engine's own schedule;
- ``rss_kib``: resident memory at the end of the window; ``threads``: threads alive then;
- ``unhealthy``: endpoints reported down; ``thread_deaths``: threads that died with an error;
- ``checks_per_second``: checks started per second of the window (the achieved rate);
- ``details``: endpoints per detail of their last result (``ok``, ``timeout``...);
- ``loop``: the module of the event loop the checks ran on (``asyncio``, ``uvloop``).

    python bench/scheduler_worker.py --lib ours|ours-asyncio|ours-uvloop|dephealth-async|\
        dephealth-uvloop|dephealth-thread --checker noop|tcp --endpoints 1000 --seconds 4 \
        [--port 6379]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import os
import resource
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

INTERVAL = 1.0
LIBS = (
    "ours",
    "ours-asyncio",
    "ours-uvloop",
    "dephealth-async",
    "dephealth-uvloop",
    "dephealth-thread",
)
#: Time given to the first round (spread over one interval) before measuring.
WARM_UP = INTERVAL + 0.5


class Recorder:
    """Wraps a checker: notes the start of every call, then runs the wrapped check."""

    #: The module of the event loop of the first check seen (any recorder).
    loop_module: str | None = None

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.starts: list[float] = []

    async def check(self, endpoint: Any) -> None:
        self.starts.append(time.monotonic())
        if Recorder.loop_module is None:
            Recorder.note_loop()
        await self.inner.check(endpoint)

    @staticmethod
    def note_loop() -> None:
        Recorder.loop_module = type(asyncio.get_running_loop()).__module__.split(".")[0]

    def checker_type(self) -> str:  # dephealth's HealthChecker protocol
        return "tcp"


class CallbackRecorder(Recorder):
    """A recorder for checkers that also start a check without a task (``begin_check``)."""

    def begin_check(self, endpoint: Any, done: Callable[[BaseException | None], None]) -> Any:
        self.starts.append(time.monotonic())
        if Recorder.loop_module is None:
            Recorder.note_loop()
        return self.inner.begin_check(endpoint, done)


def recorder(inner: Any) -> Recorder:
    """The recorder for ``inner``: one that keeps its task-free path when it has one."""
    return CallbackRecorder(inner) if hasattr(inner, "begin_check") else Recorder(inner)


class NoopChecker:
    """Succeeds at once: measures the scheduler's own cost."""

    async def check(self, endpoint: Any) -> None:
        return None

    def checker_type(self) -> str:
        return "tcp"


#: Opened first: a library that runs out of file descriptors must not stop the measurement.
STATUS_FD = os.open("/proc/self/status", os.O_RDONLY)


def rss_kib() -> int:
    for line in os.pread(STATUS_FD, 65536, 0).decode().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def quantile_ms(values: list[float], q: int) -> float | None:
    if len(values) < 2:
        return None
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000, 3)


@dataclass
class Bench:
    """What every library's run provides: recorders, start, arming, health, lateness."""

    recorders: list[Recorder] = field(default_factory=list)
    start: Callable[[], object] = lambda: None
    arm: Callable[[], None] = lambda: None
    unhealthy: Callable[[], int] = lambda: 0
    details: Callable[[], dict[str, int]] = dict
    schedule_lateness: Callable[[], list[float]] = list
    missed: Callable[[], int | None] = lambda: None


def loop_in_thread(kind: str) -> asyncio.AbstractEventLoop:
    """A new ``asyncio`` or ``uvloop`` event loop, running in a daemon thread of its own."""
    if kind == "uvloop":
        import uvloop

        loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    return loop


def count_details(details: Any) -> dict[str, int]:
    found: dict[str, int] = {}
    for status in details:
        found[status.detail] = found.get(status.detail, 0) + 1
    return found


def ours(mode: str, checker: str, endpoints: int, port: int) -> Bench:
    from prometheus_client import CollectorRegistry

    from dephealth_core import Dependency, DependencyHealth, Kind
    from dephealth_core.checks._tcp import TcpChecker

    bench = Bench()

    def make(dependency: Any, target: Any) -> Recorder:
        wrapped = recorder(NoopChecker() if checker == "noop" else TcpChecker())
        bench.recorders.append(wrapped)
        return wrapped

    kind = Kind(type="tcp", default_port=None, make_checker=make)
    dependencies = [
        Dependency(f"ep-{i}", kind, critical=False, host="127.0.0.1", port=port)
        for i in range(endpoints)
    ]
    dh = DependencyHealth(
        "bench",
        "bench",
        *dependencies,
        check_interval=INTERVAL,
        timeout=0.5,
        registry=CollectorRegistry(),
        environ={},
    )

    late: list[float] = []

    from dephealth_core._slots import Lateness

    class NotedLateness(Lateness):
        """Every start's lateness against its slot, as the engine measures it for its
        dephealth_check_lateness_seconds histogram (whose buckets are too coarse for a p99)."""

        def observe(self, seconds: float) -> None:
            late.append(seconds)
            super().observe(seconds)

    async def arm_on_loop() -> None:
        # From here on: lateness and missed slots of the measured window only.
        dh._scheduler.driver(asyncio.get_running_loop()).lateness = NotedLateness()

    if mode == "background":
        bench.start = dh.start_background

        def arm() -> None:
            if dh._runner is not None:
                dh._runner.run(arm_on_loop(), timeout=30)

    else:
        loop = loop_in_thread(mode)
        bench.start = lambda: asyncio.run_coroutine_threadsafe(dh.start(), loop).result(60)

        def arm() -> None:
            asyncio.run_coroutine_threadsafe(arm_on_loop(), loop).result(30)

    bench.arm = arm
    bench.unhealthy = lambda: sum(
        1 for status in dh.snapshot.endpoints.values() if status.healthy is False
    )
    bench.details = lambda: count_details(dh.snapshot.endpoints.values())
    bench.schedule_lateness = lambda: list(late)
    bench.missed = lambda: dh.snapshot.schedule.missed
    return bench


def dephealth(mode: str, checker: str, endpoints: int, port: int) -> Bench:
    from dephealth.api import DependencyHealth, tcp_check
    from dephealth.checks.tcp import TCPChecker
    from prometheus_client import CollectorRegistry

    bench = Bench()
    specs = []
    for i in range(endpoints):
        # dephealth accepts no timeout under 1 s; the checker itself is replaced by ours.
        spec = tcp_check(
            f"ep-{i}",
            host="127.0.0.1",
            port=str(port),
            critical=False,
            interval=timedelta(seconds=INTERVAL),
            timeout=timedelta(seconds=1),
        )
        inner = NoopChecker() if checker == "noop" else TCPChecker(timeout=1.0)
        recorder = Recorder(inner)
        spec.checker = recorder
        bench.recorders.append(recorder)
        specs.append(spec)
    dh = DependencyHealth("bench", "bench", *specs, registry=CollectorRegistry())
    if mode == "thread":
        bench.start = dh.start_sync
    else:
        # asyncio mode: the checks run on a loop of their own in one thread, as in an app.
        loop = loop_in_thread("uvloop" if mode == "uvloop" else "asyncio")
        bench.start = lambda: asyncio.run_coroutine_threadsafe(dh.start(), loop).result(60)
    bench.unhealthy = lambda: sum(
        1 for status in dh.health_details().values() if status.healthy is False
    )
    bench.details = lambda: count_details(dh.health_details().values())
    return bench


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lib", choices=LIBS, required=True)
    parser.add_argument("--checker", choices=["noop", "tcp"], default="noop")
    parser.add_argument("--endpoints", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--port", type=int, default=6379)
    args = parser.parse_args()
    logging.getLogger("dephealth").setLevel(logging.CRITICAL)
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    deaths: list[str] = []
    threading.excepthook = lambda hook: deaths.append(type(hook.exc_value).__name__)
    unraisable: list[str] = []
    sys.unraisablehook = lambda hook: unraisable.append(type(hook.exc_value).__name__)

    threads_before = threading.active_count()
    if args.lib.startswith("ours"):
        mode = args.lib.partition("-")[2] or "background"
        bench = ours(mode, args.checker, args.endpoints, args.port)
    else:
        bench = dephealth(args.lib.split("-")[1], args.checker, args.endpoints, args.port)
    started = time.monotonic()
    bench.start()
    start_seconds = time.monotonic() - started
    time.sleep(WARM_UP)
    bench.arm()
    for recorder in bench.recorders:
        recorder.starts = []
    cpu_before = time.process_time()
    wall_before = time.monotonic()
    time.sleep(args.seconds)
    cpu = time.process_time() - cpu_before
    wall = time.monotonic() - wall_before
    window_end = wall_before + wall
    rss = rss_kib()
    threads = threading.active_count()
    starts = [[t for t in r.starts if t <= window_end] for r in bench.recorders]
    checks = sum(len(s) for s in starts)
    gaps = [b - a - INTERVAL for s in starts for a, b in itertools.pairwise(s)]
    schedule = bench.schedule_lateness()
    never = sum(1 for s in starts if not s)
    result: dict[str, Any] = {
        "lib": args.lib,
        "checker": args.checker,
        "endpoints": args.endpoints,
        "seconds": round(wall, 3),
        "start_seconds": round(start_seconds, 3),
        "checks": checks,
        "checks_per_second": round(checks / wall, 1),
        "expected_checks": round(args.endpoints * wall / INTERVAL),
        "endpoints_never_checked": never,
        "cpu_ms": round(cpu * 1000, 1),
        "cpu_ms_per_1000_checks": round(cpu / checks * 1e6, 2) if checks else None,
        "gap_late_p50_ms": quantile_ms(gaps, 50),
        "gap_late_p99_ms": quantile_ms(gaps, 99),
        "gap_late_max_ms": round(max(gaps) * 1000, 3) if gaps else None,
        "schedule_late_p50_ms": quantile_ms(schedule, 50),
        "schedule_late_p99_ms": quantile_ms(schedule, 99),
        "schedule_late_max_ms": round(max(schedule) * 1000, 3) if schedule else None,
        "rss_kib": rss,
        "threads": threads,
        "threads_added": threads - threads_before,
        "thread_deaths": len(deaths),
        "thread_death_errors": sorted(set(deaths)),
        "unraisable_errors": len(unraisable),
        "unhealthy": bench.unhealthy(),
        "details": bench.details(),
        "missed_slots": bench.missed(),
        "loop": Recorder.loop_module,
        "fd_limit": hard,
    }
    print(json.dumps(result), flush=True)
    # Skip the libraries' shutdown: joining 10,000 threads one by one takes longer than the run.
    os._exit(0)


if __name__ == "__main__":
    main()
