"""Pool-mode PostgreSQL check against a raw ``SELECT 1`` on the same asyncpg pool.

Three ways to run one round trip on one pool, alternated block by block in one run so that
machine noise hits them alike:

* raw:       ``async with pool.acquire() as conn: await conn.fetchval("SELECT 1")``
* check:     the checker's ``check(endpoint)`` under ``asyncio.timeout``, as the engine runs it
* check_now: ``await dh.check_now()`` for a DependencyHealth with that one dependency (adds
             the engine's bookkeeping: state, snapshot, listeners)

Prints the median latency of each, the spread of the per-block medians and the ratios to raw.
Target (docs/benchmarks.md): check / raw <= 1.2.

    PYTHONPATH=src python bench/pool_check.py [--dsn DSN] [--blocks 20] [--per-block 500] [--json]

The default DSN is the machine's PostgreSQL: postgres://postgres@127.0.0.1:5432/test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable

import asyncpg
from benchstats import summary
from prometheus_client import CollectorRegistry

from dephealth_core import DependencyHealth, Endpoint, postgres_check


async def timed_block(operation: Callable[[], Awaitable[object]], count: int) -> list[float]:
    samples = []
    clock = time.perf_counter
    for _ in range(count):
        started = clock()
        await operation()
        samples.append(clock() - started)
    return samples


async def main(dsn: str, blocks: int, per_block: int, as_json: bool) -> None:
    pool = await asyncpg.create_pool(dsn, min_size=2, max_size=2)
    dependency = postgres_check("db", pool=pool, critical=True, timeout=5)
    dh = DependencyHealth("bench", "bench", dependency, registry=CollectorRegistry())
    # The same checker the engine builds, called the way the engine calls it.
    target = dependency.resolve_target()
    checker = dependency.kind.make_checker(dependency, target)
    host, port = target.hosts[0]
    endpoint = Endpoint(host, port, dependency="db", type="postgres", critical=True)

    async def raw() -> None:
        async with pool.acquire() as conn:
            await conn.fetchval("SELECT 1")

    async def check() -> None:
        async with asyncio.timeout(5.0):
            await checker.check(endpoint)  # type: ignore[misc]

    operations: dict[str, Callable[[], Awaitable[object]]] = {
        "raw": raw,
        "check": check,
        "check_now": dh.check_now,
    }
    for operation in operations.values():  # warm up
        await timed_block(operation, 200)
    block_medians: dict[str, list[float]] = {name: [] for name in operations}
    everything: dict[str, list[float]] = {name: [] for name in operations}
    for block in range(blocks):
        order = list(operations.items())
        if block % 2:
            order.reverse()
        for name, operation in order:
            samples = await timed_block(operation, per_block)
            block_medians[name].append(statistics.median(samples))
            everything[name].extend(samples)
    await pool.close()

    raw_median = statistics.median(everything["raw"])
    if as_json:
        result = {
            "config": {"blocks": blocks, "per_block": per_block, "pool": "asyncpg, 2 connections"},
            "latency_us": {
                name: {
                    "median": round(statistics.median(samples) * 1e6, 1),
                    "block_medians": summary([m * 1e6 for m in block_medians[name]], 1),
                }
                for name, samples in everything.items()
            },
            "ratio": {
                name: round(statistics.median(everything[name]) / raw_median, 3)
                for name in operations
            },
            # Per block: the check's median over raw's, in the same block.
            "ratio_blocks": summary(
                [c / r for c, r in zip(block_medians["check"], block_medians["raw"], strict=True)]
            ),
        }
        print(json.dumps(result))
        return
    print(f"asyncpg pool, {blocks} blocks x {per_block} round trips each, alternated")
    print(f"{'':10} {'median':>10} {'block p10':>10} {'block p90':>10} {'ratio':>7}")
    for name in operations:
        median = statistics.median(everything[name])
        deciles = statistics.quantiles(block_medians[name], n=10)
        print(
            f"{name:10} {median * 1e6:8.1f}us {deciles[0] * 1e6:8.1f}us "
            f"{deciles[-1] * 1e6:8.1f}us {median / raw_median:6.2f}x"
        )
    ratio = statistics.median(everything["check"]) / raw_median
    print(f"check / raw = {ratio:.2f}x (target <= 1.20x): {'met' if ratio <= 1.2 else 'MISSED'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", default="postgres://postgres@127.0.0.1:5432/test")
    parser.add_argument("--blocks", type=int, default=20)
    parser.add_argument("--per-block", type=int, default=500)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    asyncio.run(main(args.dsn, args.blocks, args.per_block, args.json))
