"""The ``dephealth`` command: ``check`` (one round, a startup gate) and ``serve`` (a sidecar).

Both read what ``DependencyHealth.from_config(toml_path=...)`` reads: the TOML file given with
``--config`` (or ``DEPHEALTH_CONFIG``) under the ``DEPHEALTH_*`` environment, which wins.

Exit codes: 0 every critical dependency is healthy (``serve``: a clean shutdown), 1 one is not
(``serve``: the server could not start), 2 bad configuration or usage.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .__about__ import __version__
from ._cli_engine import EXIT_BAD_CONFIG, config_problem, load_engine
from ._exceptions import ConfigError
from .check_round import details_json, render_table, round_verdict

if TYPE_CHECKING:
    from ._engine import DependencyHealth

logger = logging.getLogger("dephealth")

#: Pause between two rounds of ``check --wait``.
WAIT_PAUSE = 1.0
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")

DESCRIPTION = """\
Check a service's dependencies (PostgreSQL, MySQL, Redis, LDAP, HTTP, gRPC, TCP, AMQP, Kafka).

Configuration: a TOML file (--config, or the DEPHEALTH_CONFIG variable) and the DEPHEALTH_*
environment, which wins over the file: the keys DependencyHealth.from_config reads.

  dephealth check --config dephealth.toml             one round; exit 0 ready, 1 not, 2 bad config
  dephealth check --config dephealth.toml --wait 60   repeat until ready (a startup gate)
  dephealth serve --config dephealth.toml             check continuously, serve /readyz, /metrics...
"""

CHECK_DESCRIPTION = """\
Check every configured dependency once and print a table (or the details JSON).

Exit status: 0 when every critical dependency is healthy, 1 when one is not (or --wait ran out),
2 for bad configuration (the reason on stderr). No check outlasts its timeout; with --wait the
command ends within SECONDS plus one round.
"""

SERVE_DESCRIPTION = """\
Check continuously and serve the health views and /metrics over HTTP (uvicorn: the cli extra).

Views: /health/dependencies, /livez, /readyz, /health, /health/details (with --show-details
always), /metrics. SIGTERM or SIGINT: /readyz answers 503, the checks stop, exit 0 (after
--shutdown-delay; a second signal cuts the delay short). SIGHUP: read the configuration again;
added and removed dependencies follow, unchanged ones keep their state and series, a bad file
is logged and the running configuration stays.
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``dephealth`` command."""
    parser = argparse.ArgumentParser(
        prog="dephealth",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"dephealth {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add_common(sub: argparse.ArgumentParser, log_level: str) -> None:
        sub.add_argument(
            "--config",
            metavar="PATH",
            default=os.environ.get("DEPHEALTH_CONFIG") or None,
            help="TOML configuration file (default: $DEPHEALTH_CONFIG; without one, only the "
            "DEPHEALTH_* environment)",
        )
        sub.add_argument(
            "--log-level",
            choices=LOG_LEVELS,
            default=log_level,
            help=f"log lines on stderr from this level up (default: {log_level})",
        )

    def add_command(
        command: str, summary: str, description: str, log_level: str
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            command,
            help=summary,
            description=description,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        add_common(sub, log_level)
        return sub

    check = add_command(
        "check",
        "check every dependency once; exit 0 ready, 1 not, 2 bad configuration",
        CHECK_DESCRIPTION,
        "critical",
    )
    check.add_argument(
        "--json", action="store_true", help="print the details JSON instead of the table"
    )
    check.add_argument(
        "--wait",
        metavar="SECONDS",
        type=_seconds,
        default=None,
        help="repeat rounds until every critical dependency is healthy or SECONDS have passed "
        "(one progress line per round on stderr)",
    )
    check.set_defaults(run=run_check)

    serve = add_command(
        "serve",
        "check continuously and serve the health views and /metrics",
        SERVE_DESCRIPTION,
        "info",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=_port, default=9110, help="port to listen on (9110)")
    serve.add_argument(
        "--prefix", default="", help="common path prefix of every view, such as /ops"
    )
    serve.add_argument(
        "--show-details",
        choices=("never", "always"),
        default="never",
        help="serve hosts, latencies and /health/details (default: never)",
    )
    serve.add_argument(
        "--shutdown-delay",
        metavar="SECONDS",
        type=_seconds,
        default=0.0,
        help="after SIGTERM, keep answering (with /readyz 503) this long before exiting (0)",
    )
    serve.set_defaults(run=_run_serve)
    return parser


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0, got {text!r}")
    return value


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"expected a port from 1 to 65535, got {text!r}")
    return int(text)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dephealth`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_BAD_CONFIG
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(message)s",
    )
    code: int = args.run(args)
    return code


def run_check(args: argparse.Namespace) -> int:
    """``dephealth check``."""
    try:
        engine = load_engine(args.config, metrics=False)
    except (ConfigError, ImportError) as exc:
        print(config_problem(exc), file=sys.stderr)
        return EXIT_BAD_CONFIG
    code = asyncio.run(_check(engine, wait=args.wait, as_json=args.json))
    return _leave(code)


async def _check(engine: DependencyHealth, *, wait: float | None, as_json: bool) -> int:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (wait or 0.0)
    rounds = 0
    try:
        while True:
            rounds += 1
            details = await engine.check_now()
            verdict = round_verdict(details)
            left = deadline - loop.time()
            if wait is not None:
                line = f"dephealth: round {rounds}: {verdict.summary()}"
                if not verdict.ready:
                    line += f" ({max(left, 0.0):.0f}s left)" if left > 0 else " (time is up)"
                print(line, file=sys.stderr, flush=True)
            if verdict.ready or wait is None or left <= 0:
                break
            await asyncio.sleep(min(WAIT_PAUSE, left))
    finally:
        await _close(engine)
    print(details_json(details) if as_json else render_table(details), flush=True)
    return verdict.exit_code


async def _close(engine: DependencyHealth) -> None:
    # check_now() ran on an engine that was never started, and stop() is what closes the
    # checkers (HTTP clients). start() returns without yielding to the loop and stop() marks
    # every runner stopping before it first awaits, so no scheduled check runs in between.
    await engine.start()
    await engine.stop()


def _leave(code: int) -> int:
    # A blocking driver stuck past its timeout keeps a worker thread, and the interpreter
    # joins worker threads at exit: leave at once rather than hang a startup gate.
    lingering = [
        thread
        for thread in threading.enumerate()
        if thread is not threading.main_thread() and not thread.daemon and thread.is_alive()
    ]
    if lingering:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _run_serve(args: argparse.Namespace) -> int:
    try:
        from ._cli_serve import run_serve
    except ModuleNotFoundError as exc:
        if exc.name != "uvicorn":
            raise
        print("dephealth: serve needs uvicorn: pip install 'dephealth-suite[cli]'", file=sys.stderr)
        return EXIT_BAD_CONFIG
    return run_serve(args)
