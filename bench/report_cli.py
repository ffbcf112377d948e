# ruff: noqa: E501  (the section is Markdown tables in f-strings)
"""The CLI section of docs/benchmarks.md, from ``bench/cli.py``'s result."""

from __future__ import annotations

from typing import Any

from report_format import Results, med, num


def cli_section(results: Results) -> str:
    head = "## CLI\n\n"
    data = results.data("cli")
    if data is None:
        return head + results.missing("cli", "The dephealth command")
    return head + cli_text(data) + "\n" + results.command("cli") + "\n"


def cli_text(data: dict[str, Any]) -> str:
    """The section's body (also pasted by hand when a full run does not fit)."""
    serve = data.get("serve", {})
    metrics = data.get("metrics", {})
    check = data.get("check", {})
    late = serve.get("lateness_ms", {})
    mb = (metrics.get("bytes") or 0) / 1e6
    return f"""`bench/cli.py`: `dephealth serve` (a subprocess) checks {num(serve.get("endpoints"))}
TCP endpoints every {num(data.get("config", {}).get("interval_s"))} s, served by a listener
process on 100 loopback addresses x 100 ports; figures over a window of
{num(serve.get("window_s"))} s after every endpoint had its first result.

| figure | value |
|---|---|
| checks per second (expected) | {num(serve.get("checks_per_s"))} ({num(serve.get("expected_per_s"))}) |
| endpoints reported down at the end (all servers up) | {num(serve.get("down"))} of {num(serve.get("exported"))} |
| lateness seen by the servers (gap between two checks minus the interval) p50 / p99 / max | {num(late.get("p50"))} / {num(late.get("p99"))} / {num(late.get("max"))} ms |
| CPU of the serve process per 1,000 checks | {num(serve.get("cpu_ms_per_1000_checks"))} ms ({num(serve.get("cpu_pct"))} % of a core) |
| RSS at {num(serve.get("endpoints"))} endpoints; per 1,000 endpoints | {num(serve.get("rss_mb"))} MB; {num(serve.get("rss_mb_per_1000_endpoints"))} MB |
| a scrape of `/metrics` over HTTP ({mb:.1f} MB) | {num(serve.get("scrape_s"))} s |
| SIGTERM to exit (status {serve.get("sigterm_exit")}) | {num(serve.get("sigterm_s"))} s |

`/metrics` at {num(metrics.get("endpoints"))} endpoints ({num(metrics.get("samples"))} samples,
{mb:.1f} MB), in process, through the ASGI app `serve` runs: prometheus_client's
`generate_latest` on the engine's registry, the first scrape of a new snapshot version (written
from the snapshot, the same bytes), and the scrapes of the same version after it (reused). Renders:
{metrics.get("renders")} for {metrics.get("scrapes")} scrapes. Medians (min..max), ms:

| operation | ms | / generate_latest |
|---|---|---|
| `generate_latest(registry)` | {med(metrics.get("generate_latest_ms"))} | 1 |
| first scrape of a version (renders) | {med(metrics.get("first_scrape_ms"))} | {_ratio(metrics, "first_scrape_ms")} |
| later scrapes of the version (reuse) | {med(metrics.get("cached_scrape_ms"))} | {_ratio(metrics, "cached_scrape_ms")} |

`dephealth check` wall time, {check.get("dependencies")} TCP dependencies (exit status
{check.get("exit_codes", {}).get("up")} all up, {check.get("exit_codes", {}).get("blackholed")}
with one black-holed):

| run | seconds |
|---|---|
| `dephealth --version` (interpreter start-up and imports) | {med(check.get("version_s"))} |
| `check`, all up | {med(check.get("all_up_s"))} |
| `check`, plus one HTTP dependency black-holed (timeout {num(check.get("timeout_s"))} s) | {med(check.get("blackholed_s"))} |

The CPU per check is what the scheduler section above measures in process, plus the HTTP server of `serve`.
At this scale a snapshot is published about four times a second, so nearly every Prometheus
scrape renders; reuse serves probes and a second scraper within the same quarter second.
"""


def _ratio(metrics: dict[str, Any], key: str) -> str:
    base = (metrics.get("generate_latest_ms") or {}).get("median")
    value = (metrics.get(key) or {}).get("median")
    if not base or value is None:
        return "-"
    share = value / base
    return f"{share:.1e}" if 0 < share < 0.001 else num(share)
