"""``manage.py dephealth``: one round of checks, a table, non-zero when a critical one fails."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dephealth_core import ConfigError, EndpointStatus
from dephealth_core._urls import format_host


class Command(BaseCommand):
    help = "Check every configured dependency once and print the results."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--timeout",
            type=float,
            default=60.0,
            help="Seconds to wait for the whole round (default 60).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from ..._runtime import build_runtime

        try:
            runtime = build_runtime(metrics=False)
        except ConfigError as exc:
            raise CommandError(f"bad DEPHEALTH settings: {exc}") from None
        try:
            results = runtime.engine.check_now_background(timeout=options["timeout"])
        finally:
            runtime.close_checkers()
        rows = [_row(status) for status in results.values()]
        self.stdout.write(_table(rows))
        failed = [s.name for s in results.values() if s.critical and not s.healthy]
        if failed:
            raise CommandError(
                f"critical dependencies failing: {', '.join(sorted(set(failed)))}", returncode=1
            )
        if not results:
            self.stdout.write("no dependencies configured")


HEADERS = ("DEPENDENCY", "ENDPOINT", "CRITICAL", "STATUS", "DETAIL", "LATENCY MS")


def _row(status: EndpointStatus) -> tuple[str, ...]:
    return (
        status.name,
        f"{format_host(status.host)}:{status.port}",
        "yes" if status.critical else "no",
        status.status,
        status.detail,
        f"{status.latency * 1000.0:.1f}",
    )


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in [HEADERS, *rows]) for i in range(len(HEADERS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [HEADERS, *rows]
    ]
    return "\n".join(line.rstrip() for line in lines)
