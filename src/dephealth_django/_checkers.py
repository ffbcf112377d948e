"""Checks through Django's own database connections and cache clients.

Each checker runs its blocking work in its alias's :class:`AliasThread`, so the checker side
of an alias holds at most one connection: ``django.db.connections[alias]`` of that one
thread (borrowed from Django's pool when ``OPTIONS["pool"]`` is set), or the one client of
``caches[alias]`` in that thread.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from dephealth_core import CheckError, Endpoint, PoolStats

from ._errors import cache_error, database_error
from ._thread import AliasThread

logger = logging.getLogger("dephealth")

#: How long closing an alias's connection may take at shutdown.
CLOSE_TIMEOUT = 5.0


class _ClosedInItsThread:
    """Closing for a checker whose blocking work runs in its alias's thread."""

    alias: str
    thread: AliasThread

    def _close_blocking(self) -> None:
        raise NotImplementedError

    async def aclose(self) -> None:
        """Close the alias's connections in its thread, then end the thread."""
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await self.thread.run(self._close_blocking)
        except TimeoutError:
            logger.warning("dephealth: a check of %r still runs; not waiting for it", self.alias)
        finally:
            self.thread.shutdown()

    def close(self) -> None:
        """:meth:`aclose` for callers without an event loop (the management command)."""
        if not self.thread.started:
            return
        try:
            self.thread.call(self._close_blocking, CLOSE_TIMEOUT)
        finally:
            self.thread.shutdown()


@dataclass(eq=False)
class DatabaseChecker(_ClosedInItsThread):
    """``SELECT 1`` on ``connections[alias]``, honouring ``CONN_MAX_AGE`` and the pool option.

    Before each check an unusable or expired connection is closed, as Django does around a
    request. After it, the connection is kept only when the alias keeps connections
    (``CONN_MAX_AGE`` > 0 or ``None``); with ``CONN_MAX_AGE = 0`` it is closed.

    With Django's connection pool (``OPTIONS["pool"]``, PostgreSQL, Django 5.1+) the check
    borrows a connection from that same pool for the query and gives it back at once,
    waiting at most ``pool_timeout`` seconds: a pool held full reads ``pool_exhausted``.
    """

    alias: str
    query: str = "SELECT 1"
    #: How long to wait for a free connection of Django's pool (``None``: the pool's own).
    pool_timeout: float | None = None
    thread: AliasThread = field(init=False, repr=False)
    _pool_stats: PoolStats | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.thread = AliasThread(f"dephealth-db-{self.alias}")

    async def check(self, endpoint: Endpoint) -> None:
        """Run the check query in the alias's thread."""
        await self.thread.run(self._check_blocking)

    def _check_blocking(self) -> None:
        from django.db import connections

        connection = connections[self.alias]
        if connection.settings_dict.get("OPTIONS", {}).get("pool"):
            self._check_pool(connection)
            return
        connected = False
        try:
            connection.close_if_unusable_or_obsolete()
            connection.ensure_connection()
            connected = True
            with connection.cursor() as cursor:
                cursor.execute(self.query)
                cursor.fetchone()
        except CheckError:
            raise
        except Exception as exc:
            _close_quietly(connection)
            raise database_error(exc, connected=connected) from None
        else:
            if connection.settings_dict.get("CONN_MAX_AGE", 0) == 0:
                connection.close()

    def _check_pool(self, connection: Any) -> None:
        borrowed = False
        try:
            pool = connection.pool
            pool.open()  # as Django does before its first borrow; a no-op once open
            with pool.connection(timeout=self.pool_timeout) as raw:
                borrowed = True
                raw.execute(self.query).fetchone()
        except CheckError:
            raise
        except Exception as exc:
            raise database_error(exc, connected=borrowed) from None
        finally:
            self._pool_stats = _read_pool_stats(connection)

    def pool_stats(self) -> PoolStats | None:
        """Django's connection pool counts for the alias, when it has a pool."""
        return self._pool_stats

    def _close_blocking(self) -> None:
        from django.db import connections

        _close_quietly(connections[self.alias])


@dataclass(eq=False)
class CacheChecker(_ClosedInItsThread):
    """A Redis ``PING`` through ``caches[alias]``'s own client (Django's or django-redis).

    A cache backend without a reachable Redis client is checked with a ``set``/``get`` of a
    private key instead.
    """

    alias: str
    thread: AliasThread = field(init=False, repr=False)
    _key: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.thread = AliasThread(f"dephealth-cache-{self.alias}")
        self._key = f"dephealth:check:{uuid.uuid4().hex}"

    async def check(self, endpoint: Endpoint) -> None:
        """Ping the cache's Redis in the alias's thread."""
        await self.thread.run(self._check_blocking)

    def _check_blocking(self) -> None:
        from django.core.cache import caches

        cache = caches[self.alias]
        try:
            client = redis_client(cache)
            if client is not None:
                client.ping()
                return
            token = uuid.uuid4().hex
            cache.set(self._key, token, timeout=60)
            if cache.get(self._key) != token:
                raise CheckError("the cache did not return what was stored", detail="unhealthy")
        except CheckError:
            raise
        except Exception as exc:
            raise cache_error(exc) from None

    def _close_blocking(self) -> None:
        from django.core.cache import caches

        client = redis_client(caches[self.alias])
        pool = getattr(client, "connection_pool", None)
        try:
            if pool is not None:
                pool.disconnect()
        except Exception as exc:
            logger.debug("dephealth: closing cache %s failed: %s", self.alias, type(exc).__name__)


def redis_client(cache: Any) -> Any:
    """The ``redis.Redis`` (writer) behind a Django or django-redis cache, or ``None``."""
    django_client = getattr(cache, "_cache", None)  # django.core.cache.backends.redis
    if django_client is not None and hasattr(django_client, "get_client"):
        return django_client.get_client(write=True)
    django_redis_client = getattr(cache, "client", None)  # django_redis.cache.RedisCache
    if django_redis_client is not None and hasattr(django_redis_client, "get_client"):
        return django_redis_client.get_client(write=True)
    return None


def _close_quietly(connection: Any) -> None:
    try:
        connection.close()
    except Exception as exc:
        logger.debug("dephealth: closing %s failed: %s", connection.alias, type(exc).__name__)


def _read_pool_stats(connection: Any) -> PoolStats | None:
    pools = getattr(type(connection), "_connection_pools", None)
    pool = pools.get(connection.alias) if isinstance(pools, dict) else None
    if pool is None or not hasattr(pool, "get_stats"):
        return None
    stats = pool.get_stats()
    size = int(stats.get("pool_size", 0))
    idle = int(stats.get("pool_available", 0))
    return PoolStats(size=size, idle=idle, in_use=size - idle, max=stats.get("pool_max"))
