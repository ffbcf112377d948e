"""PostgreSQL checks on real servers: standalone and pool mode, failures, no leaks."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import pytest
from prometheus_client import generate_latest

from dephealth_core import ConfigError, DependencyHealth, postgres_check
from tests.checks._sql_support import check_one, engine, open_sockets_to, settle

pytestmark = pytest.mark.postgres

SHARED = "postgres://postgres@127.0.0.1:5432/test"


async def server_connections(dsn: str, application_name: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
            application_name,
        )
        return count
    finally:
        await conn.close()


# -- configuration --------------------------------------------------------------------------


def test_url_forms_give_one_endpoint_per_host() -> None:
    """postgres://, postgresql:// and multi-host URLs give the endpoints a user expects."""
    dh = DependencyHealth(
        "svc",
        "team",
        postgres_check("a", url="postgres://u:p@db1:5432/app", critical=True),
        postgres_check("b", url="postgresql://u:p@db2/app", critical=True),
        postgres_check("c", url="postgres://u:p@h1:5432,h2:5433/db", critical=False),
        postgres_check("d", host="db3", critical=False),
        metrics=False,
    )
    keys = [
        f"{dependency.name}:{host}:{port}"
        for dependency in dh.dependencies
        for host, port in dependency.resolve_target().hosts
    ]
    assert keys == ["a:db1:5432", "b:db2:5432", "c:h1:5432", "c:h2:5433", "d:db3:5432"]


def test_unsupported_pool_is_a_config_error_naming_types() -> None:
    """An object that is no supported pool fails at construction, naming what would work."""
    with pytest.raises(ConfigError) as caught:
        engine(postgres_check("db", pool=object(), critical=True))
    message = str(caught.value)
    assert "builtins.object" in message
    assert "asyncpg.Pool" in message
    assert "psycopg_pool.ConnectionPool" in message


def test_mysql_engine_is_refused_for_postgres() -> None:
    """A SQLAlchemy engine on another database cannot be checked as PostgreSQL."""
    from sqlalchemy import create_engine

    mysql_engine = create_engine("mysql+pymysql://root@127.0.0.1:3306/test")
    with pytest.raises(ConfigError, match="mysql engine"):
        engine(postgres_check("db", pool=mysql_engine, critical=True))


def test_password_stays_out_of_repr() -> None:
    """Neither the dependency nor its checker shows the password."""
    dependency = postgres_check("db", url="postgres://u:hunter2@h/db", critical=True)
    dh = DependencyHealth("svc", "team", dependency, metrics=False)
    checker = dh._prepared["db"].checker
    assert "hunter2" not in repr(dependency)
    assert "hunter2" not in repr(checker.options)  # type: ignore[union-attr]


def test_bad_sslmode_is_a_config_error() -> None:
    """An sslmode libpq does not know fails at construction."""
    with pytest.raises(ConfigError, match="sslmode"):
        engine(postgres_check("db", url=SHARED + "?sslmode=always", critical=True))


# -- standalone mode ------------------------------------------------------------------------


async def test_standalone_url_and_host_port_are_healthy(postgres_dsn: str) -> None:
    """A reachable server reads ok, addressed by URL or by host/port with credentials."""
    by_url = await check_one(postgres_check("db", url=postgres_dsn, critical=True))
    by_host = await check_one(
        postgres_check(
            "db", host="127.0.0.1", port=5432, user="postgres", database="test", critical=True
        )
    )
    assert (by_url.detail, by_host.detail) == ("ok", "ok")


async def test_failing_query_is_query_error(postgres_dsn: str) -> None:
    """A query the server rejects reads query_error."""
    status = await check_one(
        postgres_check("db", url=postgres_dsn, query="SELECT * FROM no_such_table", critical=True)
    )
    assert (status.status, status.detail) == ("error", "query_error")


async def test_unresolvable_name_is_dns_error() -> None:
    """A host under .invalid reads dns_error."""
    status = await check_one(postgres_check("db", url="postgres://u@db.invalid/x", critical=True))
    assert (status.status, status.detail) == ("dns_error", "dns_error")


async def test_wrong_password_is_auth_error(
    private_postgres: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A wrong password reads auth_error, and the password appears in no log line."""
    url = (
        f"postgres://{private_postgres.user}:wrong-password@{private_postgres.host}:"
        f"{private_postgres.port}/{private_postgres.database}"
    )
    with caplog.at_level(logging.DEBUG):
        status = await check_one(postgres_check("db", url=url, critical=True))
    good = await check_one(postgres_check("db", url=private_postgres.dsn, critical=True))
    assert (status.status, good.status) == ("auth_error", "ok")
    assert "auth_error" in caplog.text
    assert "wrong-password" not in caplog.text


async def test_tls_required_from_server_without_tls_is_tls_error(private_postgres: Any) -> None:
    """sslmode=require against a server without TLS reads tls_error."""
    status = await check_one(
        postgres_check("db", url=private_postgres.dsn + "?sslmode=require", critical=True)
    )
    assert (status.status, status.detail) == ("tls_error", "tls_error")


async def test_stopped_server_is_connection_error(private_postgres: Any) -> None:
    """A stopped server reads connection_error, standalone and through a pool."""
    pool = await asyncpg.create_pool(private_postgres.dsn, min_size=0, max_size=2)
    try:
        with private_postgres.stopped():
            standalone = await check_one(
                postgres_check("db", url=private_postgres.dsn, critical=True)
            )
            pooled = await check_one(postgres_check("db", pool=pool, critical=True))
        assert (standalone.status, standalone.detail) == ("connection_error", "connection_refused")
        assert pooled.status == "connection_error"
    finally:
        await pool.close()


async def test_black_holed_server_is_timeout(
    postgres_dsn: str, fault_proxy: Callable[..., Awaitable[Any]]
) -> None:
    """A server that stops answering reads timeout, and the check's own socket is closed."""
    proxy = await fault_proxy("127.0.0.1", 5432)
    proxy.blackhole()
    url = f"postgres://postgres@127.0.0.1:{proxy.port}/test"
    status = await check_one(postgres_check("db", url=url, critical=True), timeout=0.3)
    assert (status.status, status.detail) == ("timeout", "timeout")
    assert await settle(lambda: open_sockets_to(proxy.port), 0) == 0


# -- pool mode ------------------------------------------------------------------------------


async def _asyncpg_pool(dsn: str, size: int) -> tuple[Any, Callable[[], Awaitable[None]]]:
    pool = await asyncpg.create_pool(dsn, min_size=size, max_size=size)
    return pool, pool.close


async def _psycopg_pool(dsn: str, size: int) -> tuple[Any, Callable[[], Awaitable[None]]]:
    from psycopg_pool import ConnectionPool

    pool = ConnectionPool(dsn, min_size=size, max_size=size, open=True)
    pool.wait()

    async def close() -> None:
        pool.close()

    return pool, close


async def _psycopg_async_pool(dsn: str, size: int) -> tuple[Any, Callable[[], Awaitable[None]]]:
    from psycopg_pool import AsyncConnectionPool

    pool = AsyncConnectionPool(dsn, min_size=size, max_size=size, open=False)
    await pool.open(wait=True)
    return pool, pool.close


async def _sqlalchemy_engine(dsn: str, size: int) -> tuple[Any, Callable[[], Awaitable[None]]]:
    from sqlalchemy import create_engine

    sync_engine = create_engine(
        dsn.replace("postgres://", "postgresql+psycopg://"), pool_size=size, max_overflow=0
    )

    async def close() -> None:
        sync_engine.dispose()

    return sync_engine, close


async def _sqlalchemy_async_engine(
    dsn: str, size: int
) -> tuple[Any, Callable[[], Awaitable[None]]]:
    from sqlalchemy.ext.asyncio import create_async_engine

    async_engine = create_async_engine(
        dsn.replace("postgres://", "postgresql+asyncpg://"), pool_size=size, max_overflow=0
    )
    return async_engine, async_engine.dispose


POOLS = {
    "asyncpg": _asyncpg_pool,
    "psycopg": _psycopg_pool,
    "psycopg-async": _psycopg_async_pool,
    "sqlalchemy": _sqlalchemy_engine,
    "sqlalchemy-async": _sqlalchemy_async_engine,
}


@pytest.fixture(params=sorted(POOLS))
async def any_pool(request: pytest.FixtureRequest, postgres_dsn: str) -> AsyncIterator[Any]:
    pool, close = await POOLS[request.param](SHARED, 2)
    yield pool
    await close()


async def _hold_all(pool: Any, count: int) -> Callable[[], Awaitable[None]]:
    """Borrow ``count`` connections the way the application would; return their release."""
    from sqlalchemy.engine import Engine
    from sqlalchemy.ext.asyncio import AsyncEngine

    if isinstance(pool, asyncpg.Pool):
        held = [await pool.acquire() for _ in range(count)]
        return lambda: asyncio.gather(*(pool.release(conn) for conn in held))  # type: ignore[return-value]
    if isinstance(pool, AsyncEngine):
        conns = [await pool.connect() for _ in range(count)]
        return lambda: asyncio.gather(*(conn.close() for conn in conns))  # type: ignore[return-value]
    if isinstance(pool, Engine):
        sync_conns = [pool.connect() for _ in range(count)]

        async def close_sync() -> None:
            for conn in sync_conns:
                conn.close()

        return close_sync
    if hasattr(pool, "putconn") and asyncio.iscoroutinefunction(pool.getconn):
        async_held = [await pool.getconn() for _ in range(count)]
        return lambda: asyncio.gather(*(pool.putconn(conn) for conn in async_held))  # type: ignore[return-value]
    sync_held = [pool.getconn() for _ in range(count)]

    async def put_back() -> None:
        for conn in sync_held:
            pool.putconn(conn)

    return put_back


async def test_pool_alone_gives_endpoint_and_stats(any_pool: Any) -> None:
    """pool= alone works: host and port come from the pool, and its counts are exported."""
    dh = engine(postgres_check("db", pool=any_pool, critical=True))
    details = await dh.check_now()
    status = details["db:127.0.0.1:5432"]
    assert status.detail == "ok"
    assert status.pool is not None
    assert status.pool.max == 2
    assert status.to_dict()["pool"]["in_use"] == 0
    assert dh.collector is not None
    exposition = generate_latest(dh.collector.registry).decode()
    assert "dephealth_pool_connections{" in exposition
    assert 'state="idle"' in exposition


async def test_pool_with_every_connection_busy_is_pool_exhausted(any_pool: Any) -> None:
    """A pool held full until the timeout reads pool_exhausted, then ok once released."""
    release = await _hold_all(any_pool, 2)
    try:
        busy = await check_one(postgres_check("db", pool=any_pool, critical=True), timeout=1.0)
    finally:
        await release()
    free = await check_one(postgres_check("db", pool=any_pool, critical=True), timeout=1.0)
    assert (busy.status, busy.detail) == ("error", "pool_exhausted")
    assert free.detail == "ok"


async def test_pool_query_error_gives_the_connection_back(any_pool: Any) -> None:
    """A failing query on a pooled connection reads query_error and leaves nothing borrowed."""
    status = await check_one(
        postgres_check("db", pool=any_pool, query="SELECT * FROM no_such_table", critical=True)
    )
    assert status.detail == "query_error"
    assert status.pool is not None
    assert status.pool.in_use == 0


async def test_lazy_pool_is_resolved_when_checks_start(postgres_dsn: str) -> None:
    """pool=lambda: app.state.pool works when the pool only exists at startup."""
    app_state: dict[str, Any] = {}
    dh = engine(postgres_check("db", pool=lambda: app_state["pool"], critical=True))
    app_state["pool"] = await asyncpg.create_pool(postgres_dsn, min_size=1, max_size=2)
    try:
        details = await dh.check_now()
    finally:
        await app_state["pool"].close()
    assert details["db:127.0.0.1:5432"].detail == "ok"


async def test_lazy_pool_of_unsupported_type_fails_at_start() -> None:
    """A pool factory that returns something unsupported fails when checks start, clearly."""
    dh = engine(postgres_check("db", pool=lambda: {"not": "a pool"}, critical=True))
    with pytest.raises(ConfigError, match=r"unsupported pool type builtins\.dict"):
        await dh.check_now()


async def test_pool_address_comes_from_keywords_and_conninfo(postgres_dsn: str) -> None:
    """Pools built from keywords, not a DSN, still give their host and port."""
    from psycopg_pool import AsyncConnectionPool

    by_keywords = await asyncpg.create_pool(
        host="localhost", port=5432, user="postgres", database="test", min_size=1, max_size=1
    )
    by_conninfo = AsyncConnectionPool(
        "host=localhost port=5432 user=postgres dbname=test", min_size=1, max_size=1, open=False
    )
    await by_conninfo.open(wait=True)
    try:
        details = await engine(
            postgres_check("kw", pool=by_keywords, critical=True),
            postgres_check("ci", pool=by_conninfo, critical=True),
        ).check_now()
    finally:
        await by_keywords.close()
        await by_conninfo.close()
    assert {key: status.detail for key, status in details.items()} == {
        "kw:localhost:5432": "ok",
        "ci:localhost:5432": "ok",
    }


# -- no leaks -------------------------------------------------------------------------------


async def test_cancelled_checks_leak_no_connections(
    postgres_dsn: str, fault_proxy: Callable[..., Awaitable[Any]]
) -> None:
    """240 checks, many cancelled mid-query or hung on a dead network, leak no connection."""
    app_name = f"dephealth-leak-{uuid.uuid4().hex[:8]}"
    proxy = await fault_proxy("127.0.0.1", 5432)
    baseline = await server_connections(postgres_dsn, app_name)
    pool = await asyncpg.create_pool(
        postgres_dsn, min_size=2, max_size=4, server_settings={"application_name": app_name}
    )
    cut_off = await asyncpg.create_pool(
        f"postgres://postgres@127.0.0.1:{proxy.port}/test", min_size=2, max_size=2
    )
    proxy.blackhole()  # the cut-off pool's connections now hang mid-query
    slow = "SELECT pg_sleep(0.4)"
    dh = engine(
        postgres_check("fast", url=SHARED, application_name=app_name, timeout=5, critical=True),
        postgres_check("slow", url=SHARED, application_name=app_name, query=slow, critical=True),
        postgres_check("pool-fast", pool=pool, timeout=5, critical=True),
        postgres_check("pool-slow", pool=pool, query=slow, critical=True),
        postgres_check(
            "blackholed",
            url=f"postgres://postgres@127.0.0.1:{proxy.port}/test",
            application_name=app_name,
            critical=True,
        ),
        postgres_check("pool-blackholed", pool=cut_off, critical=True),
        timeout=0.1,
    )
    seen: dict[str, set[str]] = {}
    try:
        for _ in range(40):  # 240 checks
            for status in (await dh.check_now()).values():
                seen.setdefault(status.name, set()).add(status.detail)
        in_use = pool.get_size() - pool.get_idle_size()
        cut_off_in_use = cut_off.get_size() - cut_off.get_idle_size()
    finally:
        await pool.close()
        cut_off.terminate()
    # With the application's pool closed, the server holds no connection named app_name.
    after = await settle(lambda: server_connections(postgres_dsn, app_name), baseline)
    assert seen == {
        "fast": {"ok"},
        "slow": {"timeout"},
        "pool-fast": {"ok"},
        "pool-slow": {"timeout"},
        "blackholed": {"timeout"},
        "pool-blackholed": {"timeout"},
    }
    assert after == baseline
    assert (in_use, cut_off_in_use) == (0, 0)
    assert await settle(lambda: open_sockets_to(proxy.port), 0) == 0
