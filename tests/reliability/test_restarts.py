"""Restarted dependencies: pool-mode checks follow a private PostgreSQL and a private Redis
through a restart, and the app's pools recover without leaking a socket. (And a stopped
OpenLDAP: its checks, which open a connection each, leave no socket behind.)

While the servers are down every check reads ``connection_error``; once they are back every
check reads ``ok`` again, the app's own queries work through the same pools, and every
socket this process holds to either server belongs to one of those pools.
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry

from dephealth_core import DependencyHealth, ldap_check, postgres_check, redis_check
from tests.support.procfs import own_sockets_to

INTERVAL = 1


async def settle(
    predicate: Callable[[], bool], what: str, state: Callable[[], object], limit: float = 20
) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}: {state()!r}")
        await asyncio.sleep(0.1)


def redis_pool_size(client: Any) -> int:
    pool = client.connection_pool
    return len(pool._available_connections) + len(pool._in_use_connections)


async def test_pool_checks_follow_restarts_and_pools_recover(
    private_postgres: Any, private_redis: Callable[..., Any]
) -> None:
    """Down: connection_error; back: ok, the app's pools work, no socket outside them."""
    import asyncpg
    import psycopg_pool
    import redis
    import redis.asyncio

    pg = private_postgres
    cache = private_redis()
    asyncpg_pool = await asyncpg.create_pool(pg.dsn, min_size=1, max_size=3)
    psycopg = psycopg_pool.ConnectionPool(pg.dsn, min_size=1, max_size=3, open=True)
    async_redis = redis.asyncio.Redis(host="127.0.0.1", port=cache.port, max_connections=3)
    sync_redis = redis.Redis(host="127.0.0.1", port=cache.port, max_connections=3)
    dh = DependencyHealth(
        "restarts",
        "tests",
        postgres_check("pg-asyncpg", pool=asyncpg_pool, critical=True),
        postgres_check("pg-psycopg", pool=psycopg, critical=True),
        redis_check("redis-async", client=async_redis, critical=True),
        redis_check("redis-sync", client=sync_redis, critical=True),
        check_interval=INTERVAL,
        timeout=0.5,
        registry=CollectorRegistry(),
    )

    def statuses() -> dict[str, str]:
        return {s.name: s.status for s in dh.health_details().values()}

    names = ["pg-asyncpg", "pg-psycopg", "redis-async", "redis-sync"]
    await dh.start()
    try:
        await settle(lambda: statuses() == dict.fromkeys(names, "ok"), "ok", statuses)
        with pg.stopped():
            cache.stop()
            await settle(
                lambda: statuses() == dict.fromkeys(names, "connection_error"),
                "connection_error while down",
                lambda: {s.name: s.detail for s in dh.health_details().values()},
            )
            cache.start()
        await settle(lambda: statuses() == dict.fromkeys(names, "ok"), "ok once back", statuses)
        # The app's own use of the same pools works again.
        assert await asyncpg_pool.fetchval("SELECT 1") == 1
        with psycopg.connection(timeout=5) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        assert await async_redis.ping() is True
        assert sync_redis.ping() is True
        # Every socket to either server is one of the pools' connections, within their sizes.
        await asyncio.sleep(0.2)
        pg_pooled = asyncpg_pool.get_size() + psycopg.get_stats()["pool_size"]
        redis_pooled = redis_pool_size(async_redis) + redis_pool_size(sync_redis)
        assert 0 < own_sockets_to(pg.port) <= pg_pooled <= 6
        assert 0 < own_sockets_to(cache.port) <= redis_pooled <= 6
    finally:
        await dh.stop()
        await asyncpg_pool.close()
        psycopg.close()
        await async_redis.aclose()
        sync_redis.close()


async def test_a_stopped_ldap_server_leaves_no_socket_behind(slapd: Any) -> None:
    """Checks of a stopped OpenLDAP read connection_refused and keep no socket open."""
    dh = DependencyHealth(
        "restarts",
        "tests",
        ldap_check("directory", url=slapd.url, critical=True),
        check_interval=INTERVAL,
        timeout=0.5,
        registry=CollectorRegistry(),
    )
    collecting = gc.isenabled()
    gc.disable()  # the sockets must be closed by the checks, not by the garbage collector
    try:
        assert {s.detail for s in (await dh.check_now()).values()} == {"ok"}
        with slapd.stopped():
            for _ in range(10):
                details = await dh.check_now()
            held = own_sockets_to(slapd.port)
            fds_before = len(os.listdir("/proc/self/fd"))
            for _ in range(10):
                await dh.check_now()
            grown = len(os.listdir("/proc/self/fd")) - fds_before
        assert {s.detail for s in details.values()} == {"connection_refused"}
        assert held == 0
        assert grown <= 0
        assert {s.detail for s in (await dh.check_now()).values()} == {"ok"}
    finally:
        if collecting:
            gc.enable()
