"""Pool mode on async SQL pools: asyncpg, aiomysql, psycopg ``AsyncConnectionPool`` and
SQLAlchemy ``AsyncEngine``.

One adapter per pool type knows how to borrow and give back a connection, how to run the
query, how to read the pool's counts and which classifier its driver's errors go through;
:class:`AsyncPoolChecker` holds the rules they share (see ``_sql_pools``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from .._dependency import Endpoint
from .._exceptions import ConnectionRefused
from .._snapshot import PoolStats
from ._net import refuses_connections
from ._pool_mode import TimeoutShare
from ._sql_errors import (
    classify_asyncpg,
    classify_psycopg,
    classify_pymysql,
    classify_sqlalchemy,
)
from ._sql_pool_stats import exhausted_or_timeout, psycopg_stats, queue_pool_stats


async def run_mysql_query(conn: Any, sql: str) -> None:
    """Run ``sql`` on an aiomysql connection and read its result.

    No ``async with conn.cursor()``: closing a cursor reads what is left of the result, and
    after a cancellation that read could wait on a dead network with no timeout left.
    """
    cursor = await conn.cursor()
    await cursor.execute(sql)
    await cursor.fetchall()
    await cursor.close()


#: Tasks started and not awaited (pool wake-ups); referenced so they are not collected.
_background: set[asyncio.Future[Any]] = set()


class AsyncpgAdapter:
    """asyncpg ``Pool``."""

    classify = staticmethod(classify_asyncpg)

    def __init__(self, pool: Any) -> None:
        self.pool = pool

    async def acquire(self) -> Any:
        return await self.pool.acquire()

    async def query(self, conn: Any, sql: str) -> None:
        await conn.fetch(sql)

    async def release(self, conn: Any, *, clean: bool) -> None:
        if not clean:
            # A cancelled query leaves the connection busy; asyncpg would wait for the
            # server to confirm the cancel, unbounded on a dead network.
            conn.terminate()
        await self.pool.release(conn)

    def stats(self) -> PoolStats:
        size, idle = self.pool.get_size(), self.pool.get_idle_size()
        return PoolStats(size=size, idle=idle, in_use=size - idle, max=self.pool.get_max_size())


class AiomysqlAdapter:
    """aiomysql ``Pool``.

    aiomysql leaves the socket of a connection attempt open when the attempt is cancelled
    (its event-loop registration keeps it alive for good), and ``Pool.acquire()`` connects
    when the pool has room. So a borrow is never cancelled: it runs in a task of its own; when
    the check gives up first, the connection goes back to the pool as soon as it arrives, and
    the next check waits for that late borrow before starting another.
    """

    classify = staticmethod(classify_pymysql)

    def __init__(self, pool: Any, budget: float) -> None:
        self.pool = pool
        self.budget = budget
        self._late: asyncio.Future[Any] | None = None

    async def _borrow(self) -> Any:
        return await self.pool.acquire()

    def _give_back(self, task: asyncio.Future[Any]) -> None:
        self._late = None
        if not task.cancelled() and task.exception() is None:
            self.pool.release(task.result())

    async def acquire(self) -> Any:
        if self._late is not None:
            # A timer of its own, not only the caller's cancellation, bounds this wait.
            await asyncio.wait((self._late,), timeout=self.budget)
            if self._late is not None:
                raise TimeoutError
        task = asyncio.ensure_future(self._borrow())
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.done():
                self._give_back(task)
            else:
                self._late = task
                task.add_done_callback(self._give_back)
            raise

    async def query(self, conn: Any, sql: str) -> None:
        await run_mysql_query(conn, sql)

    async def release(self, conn: Any, *, clean: bool) -> None:
        if clean:
            await self.pool.release(conn)
            return
        # aiomysql would put a connection with an unread result back in the free list; a
        # closed one it drops, but without waking the borrowers waiting for room.
        conn.close()
        await self.pool.release(conn)
        wakeup = asyncio.ensure_future(self.pool._wakeup())
        _background.add(wakeup)
        wakeup.add_done_callback(_background.discard)

    def stats(self) -> PoolStats:
        # size also counts connections being opened; in use is what is lent out.
        return PoolStats(
            size=self.pool.size,
            idle=self.pool.freesize,
            in_use=len(self.pool._used),
            max=self.pool.maxsize or None,
        )


class AsyncPsycopgAdapter:
    """psycopg_pool ``AsyncConnectionPool``."""

    classify = staticmethod(classify_psycopg)

    def __init__(self, pool: Any) -> None:
        self.pool = pool

    async def acquire(self) -> Any:
        return await self.pool.getconn()

    async def query(self, conn: Any, sql: str) -> None:
        cursor = await conn.execute(sql)
        await cursor.fetchall()

    async def release(self, conn: Any, *, clean: bool) -> None:
        if not clean:
            await conn.close()
        else:
            await conn.rollback()  # end the query's implicit transaction, as psycopg expects
        await self.pool.putconn(conn)

    def stats(self) -> PoolStats:
        return psycopg_stats(self.pool)


class AsyncEngineAdapter:
    """SQLAlchemy ``AsyncEngine``."""

    classify = staticmethod(classify_sqlalchemy)

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import text

        self.engine = engine
        self._text = text

    async def acquire(self) -> Any:
        return await self.engine.connect()

    async def query(self, conn: Any, sql: str) -> None:
        result = await conn.execute(self._text(sql))
        result.fetchall()

    async def release(self, conn: Any, *, clean: bool) -> None:
        if not clean:
            await conn.invalidate()
        await conn.close()

    def stats(self) -> PoolStats | None:
        return queue_pool_stats(self.engine.sync_engine.pool)


class AsyncPoolChecker:
    """Borrows a connection from an async pool, runs the query, gives the connection back."""

    def __init__(self, adapter: Any, query: str, timeout: float, what: str) -> None:
        self.adapter = adapter
        self.query = query
        self.acquire_timeout = TimeoutShare(timeout).borrow
        self.probe_timeout = TimeoutShare(timeout).probe
        self.what = what

    async def check(self, endpoint: Endpoint) -> None:
        """Run the query on a borrowed connection."""
        adapter = self.adapter
        try:
            async with asyncio.timeout(self.acquire_timeout):
                conn = await adapter.acquire()
        except TimeoutError:
            if await refuses_connections(endpoint.host, int(endpoint.port), self.probe_timeout):
                raise ConnectionRefused(f"{self.what}: the server refuses connections") from None
            raise exhausted_or_timeout(self.pool_stats(), self.what) from None
        except Exception as exc:
            raise adapter.classify(exc) from exc
        clean = False
        try:
            await adapter.query(conn, self.query)
            clean = True
        except Exception as exc:
            error = adapter.classify(exc)
            clean = error.detail == "query_error"
            raise error from exc
        finally:
            await adapter.release(conn, clean=clean)

    def pool_stats(self) -> PoolStats | None:
        """The pool's connection counts."""
        stats: PoolStats | None = self.adapter.stats()
        return stats
