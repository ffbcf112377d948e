"""Pool mode on blocking SQL pools (psycopg ``ConnectionPool``, SQLAlchemy ``Engine``): checks
that run in the engine's thread pool, never on the event loop.
"""

from __future__ import annotations

import time
from typing import Any

from .._dependency import Endpoint
from .._exceptions import ConnectionRefused, PoolExhausted
from .._snapshot import PoolStats
from ._net import refuses_connections_now
from ._pool_mode import TimeoutShare
from ._sql_errors import classify_psycopg, classify_sqlalchemy
from ._sql_pool_stats import exhausted_or_timeout, psycopg_stats, queue_pool_stats


class PsycopgPoolChecker:
    """psycopg_pool ``ConnectionPool``: a blocking check, run in the engine's thread pool."""

    def __init__(self, pool: Any, query: str, timeout: float) -> None:
        self.pool = pool
        self.query = query
        self.acquire_timeout = TimeoutShare(timeout).borrow
        self.probe_timeout = TimeoutShare(timeout).probe

    def check(self, endpoint: Endpoint) -> None:
        """Run the query on a borrowed connection."""
        from psycopg_pool import PoolTimeout

        try:
            with self.pool.connection(timeout=self.acquire_timeout) as conn:
                conn.execute(self.query).fetchall()
        except PoolTimeout:
            # The pool also waits while it fails to reconnect to a server that is down.
            if refuses_connections_now(endpoint.host, int(endpoint.port), self.probe_timeout):
                raise ConnectionRefused("postgres: the server refuses connections") from None
            raise exhausted_or_timeout(self.pool_stats(), "postgres") from None
        except Exception as exc:
            raise classify_psycopg(exc) from exc

    def pool_stats(self) -> PoolStats:
        """The pool's connection counts."""
        return psycopg_stats(self.pool)


class EnginePoolChecker:
    """SQLAlchemy ``Engine``: a blocking check, run in the engine's thread pool."""

    #: How often a saturated pool is looked at again while waiting for a free connection.
    POLL = 0.02

    def __init__(self, engine: Any, query: str, timeout: float, what: str) -> None:
        from sqlalchemy import text

        self.engine = engine
        self.statement = text(query)
        self.acquire_timeout = TimeoutShare(timeout).borrow
        self.what = what

    def _wait_for_room(self) -> None:
        # QueuePool takes its checkout timeout from the engine (30 s by default) and offers no
        # per-call one: wait for room ourselves so a full pool reads pool_exhausted in time.
        deadline = time.monotonic() + self.acquire_timeout
        while True:
            stats = self.pool_stats()
            if stats is None or stats.idle > 0 or stats.max is None or stats.in_use < stats.max:
                return
            if time.monotonic() >= deadline:
                raise PoolExhausted(f"{self.what}: every connection of the pool is in use")
            time.sleep(self.POLL)

    def check(self, endpoint: Endpoint) -> None:
        """Run the query on a connection checked out of the engine's pool."""
        self._wait_for_room()
        try:
            with self.engine.connect() as conn:
                conn.execute(self.statement).fetchall()
        except Exception as exc:
            raise classify_sqlalchemy(exc) from exc

    def pool_stats(self) -> PoolStats | None:
        """The pool's connection counts (QueuePool only)."""
        return queue_pool_stats(self.engine.pool)
