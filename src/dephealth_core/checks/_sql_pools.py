"""Pool mode for the SQL checkers: borrow a connection from the application's own pool.

Supported pools: asyncpg ``Pool``, aiomysql ``Pool``, psycopg (3) ``ConnectionPool`` and
``AsyncConnectionPool``, SQLAlchemy ``Engine`` and ``AsyncEngine``. Each adapter knows how to
borrow and give back a connection, how to read its pool's counts, and which classifier its
driver's errors go through.

Two rules hold for every adapter:

* the borrow has its own deadline, a little shorter than the check's timeout, so a pool whose
  connections are all busy reads ``pool_exhausted`` rather than ``timeout``;
* a connection whose query failed or was cancelled is closed before it goes back, so the pool
  never hands the application a connection with a query still in flight.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from typing import Any

from .._dependency import Dependency, Endpoint
from .._exceptions import CheckError, CheckTimeout, ConfigError, PoolExhausted
from .._snapshot import PoolStats
from ._sql_errors import (
    classify_asyncpg,
    classify_psycopg,
    classify_pymysql,
    classify_sqlalchemy,
)

#: backend -> (module, class name) of the pools it accepts, in the order error messages list them.
SUPPORTED: dict[str, tuple[tuple[str, str], ...]] = {
    "postgres": (
        ("asyncpg", "Pool"),
        ("psycopg_pool", "ConnectionPool"),
        ("psycopg_pool", "AsyncConnectionPool"),
        ("sqlalchemy.engine", "Engine"),
        ("sqlalchemy.ext.asyncio", "AsyncEngine"),
    ),
    "mysql": (
        ("aiomysql", "Pool"),
        ("sqlalchemy.engine", "Engine"),
        ("sqlalchemy.ext.asyncio", "AsyncEngine"),
    ),
}
_DIALECTS = {"postgres": ("postgresql",), "mysql": ("mysql", "mariadb")}
_DEFAULT_PORTS = {"postgres": 5432, "mysql": 3306}


def _pool_class(source: Any, backend: str) -> str | None:
    """``"module.Class"`` of the supported type ``source`` is, without importing any driver."""
    for module_name, class_name in SUPPORTED[backend]:
        module = sys.modules.get(module_name)
        cls = getattr(module, class_name, None) if module is not None else None
        if isinstance(cls, type) and isinstance(source, cls):
            return f"{module_name}.{class_name}"
    return None


def is_pool(backend: str) -> Callable[[Any], bool]:
    """``Kind.is_source`` for a backend: tells a supported pool from a factory of one."""
    return lambda source: _pool_class(source, backend) is not None


def _unsupported(dependency: Dependency, source: Any, backend: str) -> ConfigError:
    names = ", ".join(f"{m.split('.')[0]}.{c}" for m, c in SUPPORTED[backend])
    kind = type(source)
    return ConfigError(
        f"unsupported pool type {kind.__module__}.{kind.__qualname__}; supported: {names}",
        dependency=dependency.name,
        field="pool",
    )


def pool_hosts(dependency: Dependency, source: Any, backend: str) -> list[tuple[str, str]]:
    """``Kind.source_hosts``: the ``(host, port)`` a pool connects to, or a ``ConfigError``.

    A pool is one thing to check, so a multi-host pool yields its first host only.
    """
    found = _pool_class(source, backend)
    if found is None:
        raise _unsupported(dependency, source, backend)
    default = _DEFAULT_PORTS[backend]
    if found.startswith("sqlalchemy"):
        url = source.url
        if url.get_backend_name() not in _DIALECTS[backend]:
            raise ConfigError(
                f"a {url.get_backend_name()} engine cannot be checked as {backend}",
                dependency=dependency.name,
                field="pool",
            )
        return [(url.host or "localhost", str(url.port or default))]
    if found == "asyncpg.Pool":
        return [_asyncpg_address(source)]
    if found == "aiomysql.Pool":
        kwargs = source._conn_kwargs
        return [(str(kwargs.get("host") or "localhost"), str(kwargs.get("port") or default))]
    return [_psycopg_address(source)]


def _first(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return value[0] if value else None
    if isinstance(value, str) and "," in value:
        return value.split(",")[0]
    return value


def _asyncpg_address(pool: Any) -> tuple[str, str]:
    from .._urls import parse_url

    kwargs = pool._connect_kwargs
    host, port = _first(kwargs.get("host")), _first(kwargs.get("port"))
    dsn = pool._connect_args[0] if pool._connect_args else kwargs.get("dsn")
    if dsn and (host is None or port is None):
        try:
            parsed_host, parsed_port = parse_url(dsn).hosts[0]
        except ConfigError:
            parsed_host, parsed_port = "localhost", "5432"  # a socket-only DSN
        host = host if host is not None else parsed_host
        port = port if port is not None else parsed_port
    return str(host or "localhost"), str(port or 5432)


def _psycopg_address(pool: Any) -> tuple[str, str]:
    from psycopg.conninfo import conninfo_to_dict

    conninfo = pool.conninfo if isinstance(pool.conninfo, str) else ""
    kwargs = pool.kwargs if isinstance(pool.kwargs, dict) else {}
    params = conninfo_to_dict(conninfo, **kwargs)
    host = _first(params.get("host") or params.get("hostaddr")) or "localhost"
    return str(host), str(_first(params.get("port")) or 5432)


async def run_mysql_query(conn: Any, sql: str) -> None:
    """Run ``sql`` on an aiomysql connection and read its result.

    No ``async with conn.cursor()``: closing a cursor reads what is left of the result, and
    after a cancellation that read could wait on a dead network with no timeout left.
    """
    cursor = await conn.cursor()
    await cursor.execute(sql)
    await cursor.fetchall()
    await cursor.close()


def acquire_budget(timeout: float) -> float:
    """How long a borrow may wait: the check's timeout less a margin to report exhaustion."""
    return max(timeout - min(0.5, timeout / 4), timeout / 2)


def _exhausted_or_timeout(stats: PoolStats | None, what: str) -> CheckError:
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


#: Tasks started and not awaited (pool wake-ups); referenced so they are not collected.
_background: set[asyncio.Future[Any]] = set()


# -- async pools ------------------------------------------------------------------------------


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
        return _psycopg_stats(self.pool)


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
        return _queue_pool_stats(self.engine.sync_engine.pool)


class AsyncPoolChecker:
    """Borrows a connection from an async pool, runs the query, gives the connection back."""

    def __init__(self, adapter: Any, query: str, timeout: float, what: str) -> None:
        self.adapter = adapter
        self.query = query
        self.acquire_timeout = acquire_budget(timeout)
        self.what = what

    async def check(self, endpoint: Endpoint) -> None:
        """Run the query on a borrowed connection."""
        adapter = self.adapter
        try:
            async with asyncio.timeout(self.acquire_timeout):
                conn = await adapter.acquire()
        except TimeoutError:
            raise _exhausted_or_timeout(self.pool_stats(), self.what) from None
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


# -- sync pools (run in the engine's thread pool) ---------------------------------------------


def _psycopg_stats(pool: Any) -> PoolStats:
    counts = pool.get_stats()
    size, idle = counts.get("pool_size", 0), counts.get("pool_available", 0)
    return PoolStats(size=size, idle=idle, in_use=size - idle, max=pool.max_size)


def _queue_pool_stats(pool: Any) -> PoolStats | None:
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


class PsycopgPoolChecker:
    """psycopg_pool ``ConnectionPool``: a blocking check, run in the engine's thread pool."""

    def __init__(self, pool: Any, query: str, timeout: float) -> None:
        self.pool = pool
        self.query = query
        self.acquire_timeout = acquire_budget(timeout)

    def check(self, endpoint: Endpoint) -> None:
        """Run the query on a borrowed connection."""
        from psycopg_pool import PoolTimeout

        try:
            with self.pool.connection(timeout=self.acquire_timeout) as conn:
                conn.execute(self.query).fetchall()
        except PoolTimeout:
            raise _exhausted_or_timeout(self.pool_stats(), "postgres") from None
        except Exception as exc:
            raise classify_psycopg(exc) from exc

    def pool_stats(self) -> PoolStats:
        """The pool's connection counts."""
        return _psycopg_stats(self.pool)


class EnginePoolChecker:
    """SQLAlchemy ``Engine``: a blocking check, run in the engine's thread pool."""

    #: How often a saturated pool is looked at again while waiting for a free connection.
    POLL = 0.02

    def __init__(self, engine: Any, query: str, timeout: float, what: str) -> None:
        from sqlalchemy import text

        self.engine = engine
        self.statement = text(query)
        self.acquire_timeout = acquire_budget(timeout)
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
        return _queue_pool_stats(self.engine.pool)


def make_pool_checker(source: Any, backend: str, query: str, timeout: float) -> Any:
    """The checker for a supported pool (already validated by :func:`pool_hosts`)."""
    found = _pool_class(source, backend)
    if found == "asyncpg.Pool":
        return AsyncPoolChecker(AsyncpgAdapter(source), query, timeout, backend)
    if found == "aiomysql.Pool":
        adapter = AiomysqlAdapter(source, acquire_budget(timeout))
        return AsyncPoolChecker(adapter, query, timeout, backend)
    if found == "psycopg_pool.AsyncConnectionPool":
        return AsyncPoolChecker(AsyncPsycopgAdapter(source), query, timeout, backend)
    if found == "psycopg_pool.ConnectionPool":
        return PsycopgPoolChecker(source, query, timeout)
    if found == "sqlalchemy.ext.asyncio.AsyncEngine":
        return AsyncPoolChecker(AsyncEngineAdapter(source), query, timeout, backend)
    return EnginePoolChecker(source, query, timeout, backend)
