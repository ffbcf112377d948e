"""Where the CPU of a scheduler run goes: one ``scheduler_worker.py`` run under py-spy, summarised.

Samples the worker (``--lib``, ``--checker``, ``--endpoints`` as for the worker) with py-spy at
``--rate`` Hz, keeps the samples of the threads the worker started (the one that runs the
checks; imports, start-up and the benchmark's main thread are left out), and prints two tables:
the share of samples under each of a few frames that name a stage of one check (inclusive), and
the functions that spend the most samples themselves (self). With uvloop the loop's own work
is C code that py-spy does not see: its share shows as callbacks' self time.

    python bench/scheduler_profile.py --lib ours --checker tcp --endpoints 1000 [--seconds 6]
        [--rate 500] [--port PORT] [--top 25] [--raw FILE]

Needs py-spy (``pip install py-spy``) and permission to trace the child (root, or
``kernel.yama.ptrace_scope`` 0). ``--port``: a TCP listener for ``--checker tcp`` (without it a
private redis-server is started).
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

#: Frames (substring of ``function (file:line)``) whose inclusive share names a stage of a check.
STAGES = (
    ("event loop turn", "_run_once (asyncio/base_events.py"),
    ("selector poll", "select (selectors.py"),
    ("timer heap (call_at, cancel)", "call_at (asyncio/base_events.py"),
    ("task step", "Task.__step"),
    ("driver: starting due checks", "_run_due (dephealth_core/_driver.py"),
    ("driver: a check's outcome", "_finish (dephealth_core/_driver.py"),
    ("runner: a check in a task", "_run (dephealth_core/_endpoint_runner.py"),
    ("asyncio.timeout", "Timeout."),
    ("checker: TCP", "dephealth_core/checks/_tcp.py"),
    ("raw connect", "dephealth_core/checks/_raw_connect.py"),
    ("sock_connect", "sock_connect (asyncio/selector_events.py"),
    ("recorder: the next status", "record (dephealth_core/_recorder.py"),
    ("publishing a snapshot", "publish (dephealth_core/_publisher.py"),
    ("status object", "EndpointStatus.__init__"),
    ("datetime.now", "datetime.now"),
    ("benchmark recorder", "Recorder.check (scheduler_worker.py"),
)


def frames_of(line: str) -> tuple[list[str], int]:
    stack, _, count = line.rstrip().rpartition(" ")
    return stack.split(";"), int(count)


def summarise(raw: Path, top: int) -> str:
    self_counts: collections.Counter[str] = collections.Counter()
    stage_counts: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        if not line.strip():
            continue
        frames, count = frames_of(line)
        if not any("Thread._bootstrap" in frame for frame in frames):
            continue  # imports, start-up, the benchmark's main thread
        total += count
        self_counts[frames[-1]] += count
        for name, needle in STAGES:
            if any(needle in frame for frame in frames):
                stage_counts[name] += count
    if not total:
        return "no sample on a thread the worker started"
    lines = [f"{total} samples on the checking thread", ""]
    lines.append("inclusive share per stage:")
    for name, _ in STAGES:
        if stage_counts[name]:
            lines.append(f"  {100 * stage_counts[name] / total:5.1f}%  {name}")
    lines += ["", f"top {top} functions by self samples:"]
    for frame, count in self_counts.most_common(top):
        lines.append(f"  {100 * count / total:5.1f}%  {frame}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lib", default="ours")
    parser.add_argument("--checker", choices=["noop", "tcp"], default="noop")
    parser.add_argument("--endpoints", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--port", type=int)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--python", default=sys.executable, help="the worker's Python")
    parser.add_argument("--raw", type=Path, help="keep py-spy's raw stacks in this file")
    args = parser.parse_args()
    pyspy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(pyspy).exists():
        sys.exit("py-spy is not installed: pip install py-spy")

    def run(port: int) -> None:
        raw = args.raw or Path(tempfile.mkstemp(suffix=".txt", prefix="pyspy-")[1])
        worker = [
            *(args.python, str(HERE / "scheduler_worker.py"), "--lib", args.lib),
            *("--checker", args.checker, "--endpoints", str(args.endpoints)),
            *("--seconds", str(args.seconds), "--port", str(port)),
        ]
        command = [pyspy, "record", "-r", str(args.rate), "-f", "raw", "-o", str(raw)]
        env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"}
        done = subprocess.run(
            [*command, "--nonblocking", "--", *worker], env=env, capture_output=True, text=True
        )
        if done.returncode != 0:
            sys.exit(done.stderr.strip()[-500:])
        print(done.stdout.strip().splitlines()[0] if done.stdout.strip() else "")
        print(summarise(raw, args.top))
        if args.raw is None:
            raw.unlink()

    if args.port is not None or args.checker == "noop":
        run(args.port or 1)
        return
    from tests.support.servers import PrivateRedis

    with PrivateRedis() as server:
        run(server.port)


if __name__ == "__main__":
    main()
