"""The summary table of docs/benchmarks.md: every target, ours beside the nearest peer."""

from __future__ import annotations

from typing import Any

from report_format import (
    NOT_MEASURED,
    Results,
    judge,
    med,
    median,
    num,
    ratio,
    table,
    verdict,
)

#: Detection targets at interval 1 s, timeout 0.5 s (used when the run did not say).
DETECTION_TARGETS = {"down_s": 1.6, "up_s": 1.1}


def _scheduler_rows(results: Results) -> list[list[str]]:
    summary = (results.data("scheduler") or {}).get("summary", {})
    rows = []
    for label, key, field, limit in (
        ("CPU ms per 1,000 no-op checks, 1,000 endpoints", "noop/1000",
         "cpu_ms_per_1000_checks", 20),
        ("CPU ms per 1,000 TCP checks, 1,000 endpoints", "tcp/1000",
         "cpu_ms_per_1000_checks", 80),
        ("p99 lateness of check starts (ms), 1,000 endpoints, no-op", "noop/1000",
         "gap_late_p99_ms", 20),
        ("p99 lateness of check starts (ms), 1,000 endpoints, TCP", "tcp/1000",
         "gap_late_p99_ms", 20),
        ("memory per 1,000 endpoints (MiB), 1,000 no-op", "noop/1000",
         "memory_mib_per_1000", 10),
        ("threads the library starts, 1,000 endpoints", "noop/1000", "threads_added", 1),
    ):  # fmt: skip
        ours = summary.get(f"ours/{key}", {}).get(field)
        peers = {
            mode: summary.get(f"dephealth-{mode}/{key}", {}).get(field)
            for mode in ("async", "thread")
        }
        peer_text = "; ".join(
            f"{mode}: {med(value) if field != 'threads_added' else num(median(value))}"
            for mode, value in peers.items()
            if value
        )
        if field == "threads_added":
            rows.append(
                [label, "1 (+ a bounded pool for blocking checks)",
                 num(median(ours)) if ours else NOT_MEASURED, peer_text or "-", "-",
                 verdict(median(ours), limit, higher_is_better=False)]
            )  # fmt: skip
            continue
        nearest = min((median(v) for v in peers.values() if median(v)), default=None)
        rows.append(
            [
                label,
                f"<= {num(limit)}" if field != "gap_late_p99_ms" else f"< {num(limit)}",
                med(ours) if ours else NOT_MEASURED,
                peer_text or "-",
                ratio(median(ours), nearest),
                judge(ours, limit, higher_is_better=False),
            ]
        )
    large = summary.get("ours/tcp/10000", {})
    peer_large = summary.get("dephealth-async/tcp/10000", {})
    down = large.get("unhealthy")
    rows.append(
        [
            "10,000 TCP endpoints at 1 s, all servers up: endpoints reported down",
            "0",
            (
                f"{med(down)}; {med(large.get('checks_per_second'))} checks/s, p99 lateness "
                f"{med(large.get('schedule_late_p99_ms'))} ms"
            )
            if down
            else NOT_MEASURED,
            (
                f"{med(peer_large.get('unhealthy'))} down; "
                f"{med(peer_large.get('checks_per_second'))} checks/s"
            )
            if peer_large
            else "-",
            "-",
            verdict(median(down), 0, higher_is_better=False),
        ]
    )
    return rows


def _detection_rows(results: Results) -> list[list[str]]:
    data = results.data("detection") or {}
    found = data.get("results", {})
    targets = data.get("targets") or DETECTION_TARGETS
    rows = []
    for kind in ("tcp", "redis"):
        for way, label in (("down_s", "to 503 after it goes away"), ("up_s", "to 200 after")):
            ours = found.get(kind, {}).get("ours", {}).get(way)
            peer = found.get(kind, {}).get("dephealth", {}).get(way)
            limit = targets[way]
            rows.append(
                [
                    f"detection, {kind} dependency: {label} (s, median of {len(_samples(ours))})",
                    f"<= {num(limit)}",
                    med(ours) if ours else NOT_MEASURED,
                    med(peer),
                    ratio(median(ours), median(peer)),
                    judge(ours, limit, False),
                ]
            )
    return rows


def _samples(summary: dict[str, Any] | None) -> range:
    return range((summary or {}).get("n", 0))


def _request_rows(results: Results) -> list[list[str]]:
    rows = []
    star = results.data("starlette") or {}
    for field, label, limit in (
        ("middleware_rps", "Starlette: trivial route with / without middleware, req/s", 0.97),
        ("middleware_cpu", "Starlette: the same, by server CPU per request", 0.97),
        ("health_rps", "Starlette: health endpoint / trivial route, req/s", 0.95),
        ("health_cpu", "Starlette: the same, by server CPU per request", 0.95),
    ):
        ours = star.get("ours", {}).get(field)
        peer = star.get("dephealth", {}).get(field)
        rows.append(
            [
                label,
                f">= {limit}",
                med(ours) if ours else NOT_MEASURED,
                f"{med(peer)} (dephealth FastAPI)" if peer else "-",
                "-",
                judge(ours, limit, True),
            ]
        )
    django = (results.data("django") or {}).get("endpoints", {})
    readyz = django.get("dephealth /readyz", {})
    peer = next((v for k, v in django.items() if k.startswith("django-health-check")), {})
    for field, label in (("rps_ratio", "req/s"), ("cpu_ratio", "server CPU per request")):
        rows.append(
            [
                f"Django: health endpoint / trivial view, {label}",
                ">= 0.95",
                med(readyz.get(field)) if readyz else NOT_MEASURED,
                f"{med(peer.get(field))} (django-health-check)" if peer else "-",
                "-",
                judge(readyz.get(field), 0.95, True),
            ]
        )
    flask = results.data("flask")
    for field, label, limit in (
        ("middleware_rps", "Flask: trivial route with / without the extension, req/s", 0.97),
        ("middleware_cpu", "Flask: the same, by server CPU per request", 0.97),
        ("health_rps", "Flask: health endpoint / trivial route, req/s", 0.95),
        ("health_cpu", "Flask: the same, by server CPU per request", 0.95),
    ):
        ours = (flask or {}).get("ours", {}).get(field)
        rows.append(
            [
                label,
                f">= {limit}",
                med(ours) if ours else NOT_MEASURED,
                "-",
                "-",
                judge(ours, limit, True),
            ]
        )
    return rows


def summary_section(results: Results) -> str:
    rows = _scheduler_rows(results) + _detection_rows(results) + _request_rows(results)
    herd = (results.data("herd") or {}).get("results", {})
    ours, peer = herd.get("ours", {}), herd.get("dephealth", {})
    rows.append(
        [
            "checks added by 500 concurrent health requests",
            "0",
            num(ours.get("extra_checks")) if ours else NOT_MEASURED,
            num(peer.get("extra_checks")) if peer else "-",
            "-",
            verdict(ours.get("extra_checks"), 0, False),
        ]
    )
    pool = results.data("pool") or {}
    value = pool.get("ratio", {}).get("check")
    rows.append(
        [
            "pool-mode PostgreSQL check / raw `SELECT 1` on the same pool",
            "<= 1.2",
            f"{num(value)} (per block {med(pool.get('ratio_blocks'))})" if pool else NOT_MEASURED,
            "-",
            "-",
            verdict(value, 1.2, False),
        ]
    )
    intro = (
        "Ours and the nearest peer in the same run; medians (min..max over rounds). The peer "
        "for the scheduler is dephealth 0.8.2 in its asyncio mode and in its thread mode; "
        '"ours / peer" divides by the better of the two. The verdict compares the median with '
        "the target; where the spread over the rounds crosses the target, this run cannot tell "
        "and the verdict says so. Details in the sections below.\n\n"
    )
    header = ["figure", "target", "ours", "peer", "ours / peer", "verdict"]
    return "## Summary\n\n" + intro + table(header, rows)
