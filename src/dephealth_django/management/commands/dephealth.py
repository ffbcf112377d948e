"""``manage.py dephealth``: one round of checks, a table, non-zero when a critical one fails."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dephealth_core import ConfigError
from dephealth_core.check_round import render_table, round_verdict


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
        self.stdout.write(render_table(results))
        verdict = round_verdict(results)
        if not verdict.ready:
            raise CommandError(verdict.summary(), returncode=verdict.exit_code)
        if not results:
            self.stdout.write("no dependencies configured")
