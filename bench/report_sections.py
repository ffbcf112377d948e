"""The detailed sections of docs/benchmarks.md, one function each."""

from __future__ import annotations

from typing import Any

from report_format import Results, med, median, num, ratio, table

__all__ = [
    "LIB_NAMES",
    "detection_section",
    "herd_section",
    "pool_section",
    "requests_section",
    "scheduler_section",
]

LIB_NAMES = {
    "ours": "ours (background thread, its loop)",
    "ours-asyncio": "ours on an asyncio loop",
    "ours-uvloop": "ours on a uvloop loop",
    "dephealth-async": "dephealth, asyncio mode",
    "dephealth-uvloop": "dephealth, asyncio mode on uvloop",
    "dephealth-thread": "dephealth, thread mode",
}


def scheduler_section(results: Results) -> str:
    out = ["## 1. Scheduler scale\n"]
    data = results.data("scheduler")
    if data is None:
        return out[0] + "\n" + results.missing("scheduler", "Scheduler scale")
    config = data.get("config", {})
    out.append(
        f"""
`bench/scheduler.py` runs each library in processes of its own (`bench/scheduler_worker.py`):
1,000 and 10,000 endpoints at a {num(config.get("interval_s"))} s interval, with a no-op
checker (the scheduler's own cost) and with real TCP checks (connect and close) against a local
{config.get("server", "server")}. Each run warms up for {num(config.get("warm_up_s"))} s (the
first round is spread over one interval), then measures {num(config.get("seconds"))} s. Rounds:
{config.get("rounds")} at 1,000 endpoints, {config.get("large_rounds")} at 10,000; the
libraries take turns in each round. Every checker is wrapped in the same recorder, which notes
when each check starts.

- **CPU**: process CPU time (all threads) over the window, per 1,000 checks done.
- **Lateness**: start-to-start gap of each endpoint's checks minus the interval, p99 over all
  checks. Our engine also measures each check's start against its slot (its
  `dephealth_check_lateness_seconds` histogram); its p99 is in the notes ("vs schedule").
- **Checks/s**: checks started per second of the window: the achieved rate, which at 10,000
  endpoints shows where one loop's ceiling lies.
- **Memory**: resident memory at the end of the window minus that of a process of the same
  library holding no endpoint, per 1,000 endpoints. Baselines: ours
  {med(data.get("baselines", {}).get("ours"))} MiB, dephealth
  {med(data.get("baselines", {}).get("dephealth"))} MiB.
- **Done**: checks started in the window / checks the interval calls for.
- **Down**: endpoints reported unhealthy at the end (every server was up: all are false alarms).

Ours runs in its sync-app mode (one background thread running one event loop: uvloop's when it
is installed) and, as on a Starlette app's server, on an asyncio or a uvloop loop that the
benchmark runs in a thread. dephealth's asyncio mode runs its tasks on one loop in one thread
(asyncio's or uvloop's); its thread mode starts one thread per endpoint, each with an event loop
of its own.
dephealth accepts no timeout under 1 s: its checks run with 1 s, ours with 0.5 s.
"""
    )
    rows = []
    summary = data.get("summary", {})
    for endpoints in (1000, 10000):
        for checker in ("noop", "tcp"):
            for lib in LIB_NAMES:
                row = summary.get(f"{lib}/{checker}/{endpoints}")
                if row is None:
                    continue
                notes = []
                if row.get("errors"):
                    notes.append("could not be measured: " + "; ".join(row["errors"]))
                if median(row.get("thread_deaths")):
                    notes.append(f"{num(median(row['thread_deaths']))} threads died")
                if median(row.get("never_checked")):
                    notes.append(
                        f"{num(median(row['never_checked']))} endpoints never checked in the window"
                    )
                if median(row.get("schedule_late_p99_ms")) is not None:
                    notes.append(f"p99 vs schedule {med(row['schedule_late_p99_ms'])} ms")
                if median(row.get("timeouts")):
                    notes.append(f"{num(median(row['timeouts']))} timeouts")
                if row.get("loops"):
                    notes.append("loop: " + ", ".join(row["loops"]))
                rows.append(
                    [
                        f"{endpoints:,}",
                        "no-op" if checker == "noop" else "TCP",
                        LIB_NAMES[lib],
                        med(row.get("cpu_ms_per_1000_checks")),
                        med(row.get("gap_late_p99_ms")),
                        med(row.get("checks_done_ratio")),
                        med(row.get("checks_per_second")),
                        med(row.get("memory_mib_per_1000")),
                        num(median(row.get("threads"))),
                        num(median(row.get("unhealthy"))),
                        "; ".join(notes),
                    ]
                )
    out.append(
        "\n"
        + table(
            [
                "endpoints",
                "checker",
                "library",
                "CPU ms / 1,000 checks",
                "p99 lateness ms",
                "done",
                "checks/s",
                "MiB / 1,000 endpoints",
                "threads",
                "down",
                "notes",
            ],
            rows,
        )
    )
    ratios = []
    for endpoints in (1000, 10000):
        for checker in ("noop", "tcp"):
            ours = summary.get(f"ours/{checker}/{endpoints}", {})
            for peer in ("dephealth-async", "dephealth-thread"):
                other = summary.get(f"{peer}/{checker}/{endpoints}", {})
                if not other:
                    continue
                ratios.append(
                    [
                        f"{endpoints:,} {'no-op' if checker == 'noop' else 'TCP'}",
                        LIB_NAMES[peer],
                        ratio(
                            median(ours.get("cpu_ms_per_1000_checks")),
                            median(other.get("cpu_ms_per_1000_checks")),
                        ),
                        ratio(
                            median(ours.get("memory_mib_per_1000")),
                            median(other.get("memory_mib_per_1000")),
                        ),
                    ]
                )
    if ratios:
        out.append("\nOurs against dephealth (ratios of medians; below 1: ours costs less):\n\n")
        out.append(table(["case", "against", "CPU per check", "memory per endpoint"], ratios))
    out.append("".join(f"\n- {note}" for note in data.get("notes", []) + _findings(data)))
    out.append("\n\n" + results.command("scheduler") + "\n")
    return "".join(out)


def _findings(data: dict[str, Any]) -> list[str]:
    """What the figures imply, computed from them: one loop's ceiling, threads that died."""
    summary = data.get("summary", {})
    found = []
    ceilings = []
    for lib, name in (("ours", "ours"), ("dephealth-async", "dephealth's asyncio mode")):
        cpu = median(summary.get(f"{lib}/tcp/1000", {}).get("cpu_ms_per_1000_checks"))
        if cpu:
            ceilings.append(f"{name} about {num(1e6 / cpu)}")
    if ceilings:
        found.append(
            "One event loop runs at most one CPU-second per second: from the CPU per TCP check "
            "at 1,000 endpoints, its ceiling here is " + ", ".join(ceilings) + " checks a "
            "second. 10,000 endpoints at 1 s ask for 10,000: past the ceiling, checks start "
            "late or not at all. A scheduler whose timeouts run while checks wait in the "
            "loop's backlog reports healthy endpoints as down; ours counts a timeout from the "
            'check\'s real start and keeps the lateness instead (the "down" and "vs '
            'schedule" figures at 10,000 TCP endpoints).'
        )
    for run in data.get("runs", []):
        if run.get("thread_deaths"):
            found.append(
                f"{LIB_NAMES[run['lib']]}, {run['endpoints']:,} endpoints ({run['checker']}): "
                f"{run['thread_deaths']:,} of {run['endpoints']:,} threads died "
                f"({', '.join(run.get('thread_death_errors', []))}): each thread's event loop "
                f"holds 3 file descriptors, and the limit here is {run.get('fd_limit', '?'):,}."
            )
    return found


def detection_section(results: Results) -> str:
    head = "## 2. Detection time\n\n"
    data = results.data("detection")
    if data is None:
        return head + results.missing("detection", "Detection time")
    config = data.get("config", {})
    targets = data.get("targets", {})
    rows = []
    for kind, by_lib in data.get("results", {}).items():
        for lib, row in by_lib.items():
            rows.append(
                [
                    kind,
                    "ours" if lib == "ours" else "dephealth",
                    med(row.get("down_s")),
                    med(row.get("up_s")),
                    num(row.get("missed", 0)),
                ]
            )
    text = f"""`bench/detection.py` serves two apps under uvicorn side by side, both watching
the same two dependencies: ours (Starlette with `DepHealthMiddleware`, polled on `/readyz`) and
dephealth's (FastAPI with `dephealth_fastapi`, polled on `/health/dependencies`, its health
endpoint). The dependencies: a TCP server (`TcpStubServer`) and a private redis-server
(`PrivateRedis`), checked every {num(config.get("interval_s"))} s with a timeout of
{num(config.get("timeout_s"))} s (dephealth: {num(config.get("peer_timeout_s"))} s, its
minimum). The bench stops one server at a random moment, polls both apps every
{num(config.get("poll_ms"))} ms until they answer 503, starts it again and polls until 200;
{config.get("cycles")} cycles per dependency. Times run from the moment the bench began to stop
the server (or the moment it accepted connections again) to the first 503 (or 200) seen.
Targets: down <= interval + timeout + 100 ms = {num(targets.get("down_s"))} s, back <= interval
+ 100 ms = {num(targets.get("up_s"))} s; medians (min..max).

"""
    table_text = table(["dependency", "library", "down: to 503 (s)", "back: to 200 (s)",
                        "changes not seen"], rows)  # fmt: skip
    notes = "".join(f"\n- {note}" for note in data.get("notes", []))
    return head + text + table_text + notes + "\n\n" + results.command("detection") + "\n"


def requests_section(results: Results) -> str:
    out = ["## 3. Request cost\n\n"]
    out.append(
        "Each health endpoint against a trivial route of the same app, served by a real server "
        "and loaded with `wrk`, rounds alternated. The ratios are taken within each round; "
        "the CPU ratio is the baseline's server CPU per request over the endpoint's (the req/s "
        "ratio a quiet machine would show).\n\n"
    )
    rows = []
    star = results.data("starlette")
    if star is not None:
        series = star.get("series", {})
        for lib, health, label in (
            ("ours", "ours /readyz", "ours, Starlette `/readyz`"),
            ("dephealth", "dephealth /health/dependencies",
             "dephealth 0.8.2, FastAPI `/health/dependencies`"),
        ):  # fmt: skip
            figures = star.get(lib)
            if figures is None:
                rows.append([label, "not measured", "", "", "", "", ""])
                continue
            rows.append(
                [
                    label,
                    star["config"]["server"],
                    med(series.get(health, {}).get("rps"), 4),
                    med(figures.get("health_rps")),
                    med(figures.get("health_cpu")),
                    med(figures.get("middleware_rps")),
                    med(figures.get("middleware_cpu")),
                ]
            )
    else:
        rows.append(["Starlette", results.missing("starlette", "Starlette").strip(), *[""] * 5])
    flask = results.data("flask")
    if flask is not None:
        figures = flask.get("ours", {})
        rows.append(
            [
                "ours, Flask `/readyz`",
                flask["config"]["server"],
                med(flask.get("series", {}).get("/readyz", {}).get("rps"), 4),
                med(figures.get("health_rps")),
                med(figures.get("health_cpu")),
                med(figures.get("middleware_rps")),
                med(figures.get("middleware_cpu")),
            ]
        )
    else:
        rows.append(["ours, Flask `/readyz`", results.missing("flask", "Flask").strip(), *[""] * 5])
    django = results.data("django")
    if django is not None:
        server = django["config"]["server"]
        for name, row in django.get("endpoints", {}).items():
            if name.startswith("trivial"):
                continue
            label = "ours, Django `/readyz`" if name.startswith("dephealth") else name
            rows.append(
                [
                    label,
                    server,
                    med(row.get("rps"), 4),
                    med(row.get("rps_ratio")),
                    med(row.get("cpu_ratio")),
                    "-",
                    "-",
                ]
            )
    else:
        rows.append(["Django", results.missing("django", "Django").strip(), *[""] * 5])
    out.append(
        table(
            [
                "endpoint",
                "server",
                "req/s",
                "/ trivial, req/s",
                "/ trivial, CPU",
                "trivial route with / without ours (or dephealth), req/s",
                "the same, CPU",
            ],
            rows,
        )
    )
    out.append("\nTargets: health endpoint / trivial route >= 0.95; with / without >= 0.97.\n")
    if star is not None:
        asgi = star.get("asgi_us", {})
        out.append(
            f"\nOur Starlette app alone, in process (no server), µs per request: `/` without "
            f"the middleware {med(asgi.get('plain'))}, with it {med(asgi.get('with'))}, "
            f"`/readyz` {med(asgi.get('readyz'))}. "
            f"Load: {star['config']['load']}, {star['config']['rounds']} rounds. "
            + results.command("starlette")
            + "\n"
        )
    if flask is not None:
        micros = flask.get("in_process_us", {})
        out.append(
            f"\nFlask: {flask['config']['load']}, {flask['config']['rounds']} rounds. In process "
            f"(WSGI calls, no server, best of several), µs per request: trivial route without "
            f"the extension {num(micros.get('trivial, no extension'))}, with it "
            f"{num(micros.get('trivial, with extension'))}, `/readyz` "
            f"{num(micros.get('/readyz'))}. " + results.command("flask") + "\n"
        )
    if django is not None:
        peer = next((v for k, v in django["endpoints"].items() if "health-check" in k), None)
        ours = django["endpoints"].get("dephealth /readyz", {})
        out.append(
            f"\nDjango: {django['config']['load']}, {django['config']['rounds']} rounds; "
            f"server CPU per request: trivial view "
            f"{med(django['endpoints'].get('trivial /ping', {}).get('cpu_us'))} µs, `/readyz` "
            f"{med(ours.get('cpu_us'))} µs"
            + (f", django-health-check {med(peer.get('cpu_us'))} µs" if peer else "")
            + ". "
            + results.command("django")
            + "\n"
        )
        for note in django.get("notes", []):
            out.append(f"\n- {note}\n")
    for note in (star or {}).get("notes", []):
        out.append(f"\n- {note}\n")
    return "".join(out)


def herd_section(results: Results) -> str:
    head = "## 4. Herd\n\n"
    data = results.data("herd")
    if data is None:
        return head + results.missing("herd", "Herd")
    config = data.get("config", {})
    rows = []
    for lib, row in data.get("results", {}).items():
        rows.append(
            [
                "ours `/readyz`" if lib == "ours" else "dephealth `/health/dependencies`",
                ", ".join(f"{k}: {v}" for k, v in row.get("statuses", {}).items()),
                num(row.get("burst_s")),
                num(row.get("checks_seen")),
                num(row.get("checks_scheduled")),
                num(row.get("extra_checks")),
            ]
        )
    text = f"""`bench/herd.py`: the app's one dependency is a counting TCP server, checked every
{num(config.get("interval_s"))} s. Right after a scheduled check, {config.get("requests")}
requests are sent at once ({config.get("client")}) to the health endpoint, served by uvicorn.
The server counts the connections (checks) it sees during the burst; the schedule alone calls for
the number in "scheduled" (checks due during the burst). Target: no extra check.

"""
    django = (results.data("django") or {}).get("endpoints", {})
    peer = next((v for k, v in django.items() if "health-check" in k), None)
    tail = ""
    if peer:
        tail = (
            f"\nFor comparison, from the Django run above: django-health-check opened "
            f"{med(peer.get('pg_sessions_per_1000'))} new PostgreSQL sessions per 1,000 requests "
            f"(it checks on every request); `/readyz` "
            f"{med(django.get('dephealth /readyz', {}).get('pg_sessions_per_1000'))}.\n"
        )
    return (
        head
        + text
        + table(["endpoint", "answers", "burst s", "checks seen", "scheduled", "extra"], rows)
        + tail
        + "\n"
        + results.command("herd")
        + "\n"
    )


def pool_section(results: Results) -> str:
    head = "## Pool-mode check\n\n"
    data = results.data("pool")
    if data is None:
        return head + results.missing("pool", "Pool-mode check")
    latency = data.get("latency_us", {})
    config = data.get("config", {})
    return (
        head + f"`bench/pool_check.py`: one round trip on one asyncpg pool ({config.get('pool')}), "
        f"{config.get('blocks')} alternated blocks of {config.get('per_block')}: the raw "
        f"`acquire()` + `SELECT 1`, the checker's `check()` as the engine runs it, and "
        f"`check_now()` with the engine's bookkeeping. Medians, µs (per-block medians "
        f"min..max):\n\n"
        + table(
            ["operation", "median µs", "per block", "/ raw"],
            [
                [
                    name,
                    num(row.get("median")),
                    med(row.get("block_medians")),
                    num(data.get("ratio", {}).get(name)),
                ]
                for name, row in latency.items()
            ],
        )
        + "\nTarget: check / raw <= 1.2. "
        + results.command("pool")
        + "\n"
    )
