"""The connection counts of each supported SQL pool, and what a borrow that timed out means."""

from __future__ import annotations

from typing import Any

from .._exceptions import CheckError, CheckTimeout, PoolExhausted
from .._snapshot import PoolStats


def psycopg_stats(pool: Any) -> PoolStats:
    counts = pool.get_stats()
    size, idle = counts.get("pool_size", 0), counts.get("pool_available", 0)
    return PoolStats(size=size, idle=idle, in_use=size - idle, max=pool.max_size)


def queue_pool_stats(pool: Any) -> PoolStats | None:
    if not all(hasattr(pool, name) for name in ("checkedin", "checkedout", "size", "overflow")):
        return None  # NullPool, StaticPool... keep no counts
    idle, in_use = pool.checkedin(), pool.checkedout()
    overflow = getattr(pool, "_max_overflow", -1)
    return PoolStats(
        size=idle + in_use,
        idle=idle,
        in_use=in_use,
        max=None if overflow < 0 else pool.size() + overflow,
    )


def exhausted_or_timeout(stats: PoolStats | None, what: str) -> CheckError:
    # The borrow also waits when the pool is opening a connection to a slow server: only a
    # pool with every connection in use is exhausted.
    if (
        stats is not None
        and stats.idle == 0
        and stats.max is not None
        and stats.in_use >= stats.max
    ):
        return PoolExhausted(f"{what}: every connection of the pool is in use")
    return CheckTimeout(f"{what}: no connection from the pool in time")
