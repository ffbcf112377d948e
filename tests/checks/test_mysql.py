"""MySQL/MariaDB checks on the machine's MariaDB: standalone and pool mode, failures, no leaks."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import aiomysql
import pymysql
import pytest

from dephealth_core import ConfigError, DependencyHealth, mysql_check
from tests.checks._sql_support import check_one, engine, open_sockets_to, settle

pytestmark = pytest.mark.mysql

SHARED = "mysql://root@127.0.0.1:3306/test"


@pytest.fixture
def mysql_user(mysql_params: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """A throwaway user with a password on the shared server, dropped afterwards."""
    name, password = f"dh_{uuid.uuid4().hex[:10]}", uuid.uuid4().hex
    admin = pymysql.connect(**connect_args(mysql_params))
    try:
        with admin.cursor() as cursor:
            cursor.execute("CREATE USER %s@'%%' IDENTIFIED BY %s", (name, password))
            cursor.execute("CREATE USER %s@'localhost' IDENTIFIED BY %s", (name, password))
        yield name, password
    finally:
        with admin.cursor() as cursor:
            cursor.execute("DROP USER IF EXISTS %s@'%%'", (name,))
            cursor.execute("DROP USER IF EXISTS %s@'localhost'", (name,))
        admin.close()


def connect_args(mysql_params: dict[str, Any]) -> dict[str, Any]:
    """The fixture's keywords for PyMySQL, which wants ``database`` where aiomysql has ``db``."""
    args = dict(mysql_params)
    args["database"] = args.pop("db", None)
    return args


def processes_of(mysql_params: dict[str, Any], user: str) -> Callable[[], Awaitable[int]]:
    async def count() -> int:
        conn = await aiomysql.connect(**mysql_params, connect_timeout=5)
        try:
            async with asyncio.timeout(5), conn.cursor() as cursor:
                await cursor.execute(
                    "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = %s", (user,)
                )
                (found,) = await cursor.fetchone()
                return int(found)
        finally:
            conn.close()

    return count


# -- configuration --------------------------------------------------------------------------


def test_url_forms_give_one_endpoint_per_host() -> None:
    """mysql://, mariadb:// and multi-host URLs give the endpoints a user expects."""
    dh = DependencyHealth(
        "svc",
        "team",
        mysql_check("a", url="mysql://u:p@db1:3306/app", critical=True),
        mysql_check("b", url="mariadb://u:p@db2/app", critical=True),
        mysql_check("c", url="mysql://u:p@h1:3306,h2:3307/db", critical=False),
        mysql_check("d", host="db3", critical=False),
        metrics=False,
    )
    keys = [
        f"{dependency.name}:{host}:{port}"
        for dependency in dh.dependencies
        for host, port in dependency.resolve_target().hosts
    ]
    assert keys == ["a:db1:3306", "b:db2:3306", "c:h1:3306", "c:h2:3307", "d:db3:3306"]


def test_unsupported_pool_is_a_config_error_naming_types() -> None:
    """An object that is no supported pool fails at construction, naming what would work."""
    with pytest.raises(ConfigError) as caught:
        engine(mysql_check("db", pool="not a pool", critical=True))
    message = str(caught.value)
    assert "builtins.str" in message
    assert "aiomysql.Pool" in message


def test_postgres_engine_is_refused_for_mysql() -> None:
    """A SQLAlchemy engine on PostgreSQL cannot be checked as MySQL."""
    from sqlalchemy import create_engine

    pg_engine = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test")
    with pytest.raises(ConfigError, match="postgresql engine"):
        engine(mysql_check("db", pool=pg_engine, critical=True))


def test_bad_ssl_mode_is_a_config_error() -> None:
    """An ssl-mode MySQL does not know fails at construction."""
    with pytest.raises(ConfigError, match="ssl_mode"):
        engine(mysql_check("db", url=SHARED + "?ssl-mode=ALWAYS", critical=True))


# -- standalone mode ------------------------------------------------------------------------


async def test_standalone_url_and_host_port_are_healthy(mysql_params: dict[str, Any]) -> None:
    """A reachable server reads ok, addressed by URL or by host/port with credentials."""
    by_url = await check_one(mysql_check("db", url=SHARED, critical=True))
    by_host = await check_one(
        mysql_check("db", host="127.0.0.1", user="root", database="test", critical=True)
    )
    assert (by_url.detail, by_host.detail) == ("ok", "ok")


async def test_failing_query_is_query_error(mysql_params: dict[str, Any]) -> None:
    """A query the server rejects reads query_error."""
    status = await check_one(
        mysql_check("db", url=SHARED, query="SELECT * FROM no_such_table", critical=True)
    )
    assert (status.status, status.detail) == ("error", "query_error")


async def test_unresolvable_name_is_dns_error() -> None:
    """A host under .invalid reads dns_error."""
    status = await check_one(mysql_check("db", url="mysql://root@db.invalid/test", critical=True))
    assert (status.status, status.detail) == ("dns_error", "dns_error")


async def test_wrong_password_is_auth_error(mysql_user: tuple[str, str]) -> None:
    """A user with a password, given a wrong one, reads auth_error; the right one reads ok."""
    name, password = mysql_user
    wrong = await check_one(
        mysql_check("db", url=f"mysql://{name}:not-{password}@127.0.0.1:3306/", critical=True)
    )
    right = await check_one(
        mysql_check("db", url=f"mysql://{name}:{password}@127.0.0.1:3306/", critical=True)
    )
    assert (wrong.status, wrong.detail, right.detail) == ("auth_error", "auth_error", "ok")


async def test_tls_required_from_server_without_tls_is_tls_error(
    mysql_params: dict[str, Any],
) -> None:
    """ssl-mode=REQUIRED against a server without TLS reads tls_error, never a plain ok."""
    status = await check_one(mysql_check("db", url=SHARED + "?ssl-mode=REQUIRED", critical=True))
    assert (status.status, status.detail) == ("tls_error", "tls_error")


async def test_refused_and_black_holed_server(
    mysql_params: dict[str, Any], fault_proxy: Callable[..., Awaitable[Any]]
) -> None:
    """A refusing server reads connection_error; a silent one reads timeout, socket closed."""
    proxy = await fault_proxy("127.0.0.1", 3306)
    url = f"mysql://root@127.0.0.1:{proxy.port}/test"
    proxy.refuse()
    refused = await check_one(mysql_check("db", url=url, critical=True))
    proxy.blackhole()
    silent = await check_one(mysql_check("db", url=url, critical=True), timeout=0.3)
    assert (refused.status, refused.detail) == ("connection_error", "connection_refused")
    assert (silent.status, silent.detail) == ("timeout", "timeout")
    assert await settle(lambda: open_sockets_to(proxy.port), 0) == 0


# -- pool mode ------------------------------------------------------------------------------


async def _aiomysql_pool(size: int) -> tuple[Any, Callable[[], Awaitable[None]]]:
    pool = await aiomysql.create_pool(
        host="127.0.0.1", port=3306, user="root", password="", db="test", minsize=size, maxsize=size
    )

    async def close() -> None:
        pool.close()
        await pool.wait_closed()

    return pool, close


async def _sqlalchemy_engine(size: int) -> tuple[Any, Callable[[], Awaitable[None]]]:
    from sqlalchemy import create_engine

    sync_engine = create_engine(
        "mysql+pymysql://root@127.0.0.1:3306/test", pool_size=size, max_overflow=0
    )

    async def close() -> None:
        sync_engine.dispose()

    return sync_engine, close


async def _sqlalchemy_async_engine(size: int) -> tuple[Any, Callable[[], Awaitable[None]]]:
    from sqlalchemy.ext.asyncio import create_async_engine

    async_engine = create_async_engine(
        "mysql+aiomysql://root@127.0.0.1:3306/test", pool_size=size, max_overflow=0
    )
    return async_engine, async_engine.dispose


POOLS = {
    "aiomysql": _aiomysql_pool,
    "sqlalchemy": _sqlalchemy_engine,
    "sqlalchemy-async": _sqlalchemy_async_engine,
}


@pytest.fixture(params=sorted(POOLS))
async def any_pool(
    request: pytest.FixtureRequest, mysql_params: dict[str, Any]
) -> AsyncIterator[Any]:
    pool, close = await POOLS[request.param](2)
    yield pool
    await close()


async def _hold_all(pool: Any, count: int) -> Callable[[], Awaitable[None]]:
    """Borrow ``count`` connections the way the application would; return their release."""
    from sqlalchemy.ext.asyncio import AsyncEngine

    if isinstance(pool, aiomysql.Pool):
        held = [await pool.acquire() for _ in range(count)]

        async def release() -> None:
            for conn in held:
                pool.release(conn)

        return release
    if isinstance(pool, AsyncEngine):
        conns = [await pool.connect() for _ in range(count)]
        return lambda: asyncio.gather(*(conn.close() for conn in conns))  # type: ignore[return-value]
    sync_conns = [pool.connect() for _ in range(count)]

    async def close_sync() -> None:
        for conn in sync_conns:
            conn.close()

    return close_sync


async def test_pool_alone_gives_endpoint_and_stats(any_pool: Any) -> None:
    """pool= alone works: host and port come from the pool, and its counts are reported."""
    details = await engine(mysql_check("db", pool=any_pool, critical=True)).check_now()
    status = details["db:127.0.0.1:3306"]
    assert status.detail == "ok"
    assert status.pool is not None
    assert (status.pool.max, status.pool.in_use) == (2, 0)


async def test_pool_with_every_connection_busy_is_pool_exhausted(any_pool: Any) -> None:
    """A pool held full until the timeout reads pool_exhausted, then ok once released."""
    release = await _hold_all(any_pool, 2)
    try:
        busy = await check_one(mysql_check("db", pool=any_pool, critical=True), timeout=1.0)
    finally:
        await release()
    free = await check_one(mysql_check("db", pool=any_pool, critical=True), timeout=1.0)
    assert (busy.status, busy.detail) == ("error", "pool_exhausted")
    assert free.detail == "ok"


async def test_pool_query_error_gives_the_connection_back(any_pool: Any) -> None:
    """A failing query on a pooled connection reads query_error and leaves nothing borrowed."""
    status = await check_one(
        mysql_check("db", pool=any_pool, query="SELECT * FROM no_such_table", critical=True)
    )
    assert status.detail == "query_error"
    assert status.pool is not None
    assert status.pool.in_use == 0


async def test_lazy_pool_is_resolved_when_checks_start(mysql_params: dict[str, Any]) -> None:
    """pool=lambda: app.state.pool works when the pool only exists at startup."""
    app_state: dict[str, Any] = {}
    dh = engine(mysql_check("db", pool=lambda: app_state["pool"], critical=True))
    app_state["pool"], close = await _aiomysql_pool(1)
    try:
        details = await dh.check_now()
    finally:
        await close()
    assert details["db:127.0.0.1:3306"].detail == "ok"


# -- no leaks -------------------------------------------------------------------------------


async def test_cancelled_checks_leak_no_connections(
    mysql_params: dict[str, Any],
    mysql_user: tuple[str, str],
    fault_proxy: Callable[..., Awaitable[Any]],
) -> None:
    """240 checks, many cancelled mid-query or hung on a dead network, leak no connection."""
    name, password = mysql_user
    direct = f"mysql://{name}:{password}@127.0.0.1:3306/"
    proxy = await fault_proxy("127.0.0.1", 3306)
    count = processes_of(mysql_params, name)
    baseline = await count()
    credentials = {
        "user": name,
        "password": password,
        "minsize": 2,
        "maxsize": 2,
        "connect_timeout": 5,
    }
    pool = await aiomysql.create_pool(host="127.0.0.1", port=3306, **credentials)
    cut_off = await aiomysql.create_pool(host="127.0.0.1", port=proxy.port, **credentials)
    proxy.blackhole()  # the cut-off pool's connections now hang mid-query
    slow = "SELECT SLEEP(0.4)"
    dh = engine(
        mysql_check("fast", url=direct, timeout=5, critical=True),
        mysql_check("slow", url=direct, query=slow, critical=True),
        mysql_check("pool-fast", pool=pool, timeout=5, critical=True),
        mysql_check("pool-slow", pool=pool, query=slow, critical=True),
        mysql_check(
            "blackholed", url=f"mysql://{name}:{password}@127.0.0.1:{proxy.port}/", critical=True
        ),
        mysql_check("pool-blackholed", pool=cut_off, critical=True),
        timeout=0.1,
    )
    seen: dict[str, set[str]] = {}
    try:
        for _ in range(40):  # 240 checks
            for status in (await dh.check_now()).values():
                seen.setdefault(status.name, set()).add(status.detail)
        # One more check of each pool, alone: what it reports is the pool's state afterwards.
        in_use = [
            (await check_one(mysql_check("probe", pool=each, critical=True), 0.3)).pool
            for each in (pool, cut_off)
        ]
    finally:
        pool.close()
        cut_off.terminate()
        async with asyncio.timeout(10):
            await pool.wait_closed()
            await proxy.aclose()
    assert seen == {
        "fast": {"ok"},
        "slow": {"timeout"},
        "pool-fast": {"ok"},
        "pool-slow": {"timeout"},
        "blackholed": {"timeout"},
        "pool-blackholed": {"timeout"},
    }
    assert [stats.in_use if stats else None for stats in in_use] == [0, 0]
    # With the application's pools closed, the server holds no connection of this user.
    assert await settle(count, baseline) == baseline
    assert await settle(lambda: open_sockets_to(proxy.port), 0) == 0
