"""Redis checks against real servers: the shared Redis, a private one, and a fault proxy."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import redis
import redis.asyncio
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.retry import Retry as SyncRetry

from dephealth_core import ConfigError, Dependency, DependencyHealth, EndpointStatus, redis_check
from dephealth_core.checks._redis import CLIENT_NAME
from tests.support.fault_proxy import FaultProxy
from tests.support.ports import free_port
from tests.support.procfs import own_sockets_to
from tests.support.servers import PrivateRedis

from .kv_support import black_hole, settle

pytestmark = pytest.mark.redis

SHARED = 6379
PASSWORD = "s3cret-pw"
#: Short enough for black-holed rounds, long enough for a healthy check on a loaded machine
#: (the suite runs in three processes on two cores).
FAST = {"timeout": 1.0, "interval": 5}
#: CLIENT SETNAME of the app clients in these tests, to find their connections in CLIENT LIST.
APP_CLIENT = "kv-test-app"

ProxyFactory = Callable[..., Awaitable[FaultProxy]]


@pytest.fixture(autouse=True)
def _shared_redis(redis_url: str) -> None:
    """Every test here needs the shared Redis (skips, or fails under CI, without it)."""


@pytest.fixture
async def proxy(fault_proxy: ProxyFactory) -> FaultProxy:
    return await fault_proxy("127.0.0.1", SHARED)


async def check(*dependencies: Dependency) -> list[EndpointStatus]:
    dh = DependencyHealth("svc", "team", *dependencies, metrics=False)
    return list((await dh.check_now()).values())


def named_clients(name: str) -> int:
    """Connections Redis itself lists under ``name`` (CLIENT LIST)."""
    admin = redis.Redis(port=SHARED)
    try:
        return sum(1 for c in admin.client_list() if c.get("name") == name)
    finally:
        admin.close()


async def test_standalone_ping_selects_db_from_url() -> None:
    """A Redis that answers PING is healthy; /2 in the URL selects database 2."""
    [status] = await check(redis_check("cache", url=f"redis://127.0.0.1:{SHARED}/2", critical=True))
    assert (status.status, status.detail) == ("ok", "ok")
    assert (status.host, status.port, status.type) == ("127.0.0.1", "6379", "redis")


async def test_out_of_range_db_is_an_error() -> None:
    """Selecting a database the server does not have fails the check (query_error)."""
    [status] = await check(redis_check("cache", host="127.0.0.1", db=999, critical=True))
    assert (status.status, status.detail) == ("error", "query_error")


async def test_async_client_alone_gives_the_endpoint_and_is_checked() -> None:
    """redis_check(name, client=r) with no URL takes host and port from the client."""
    client = redis.asyncio.Redis(host="127.0.0.1", port=SHARED, max_connections=8)
    try:
        [status] = await check(redis_check("cache", client=client, critical=False))
    finally:
        await client.aclose()
    assert (status.host, status.port, status.detail) == ("127.0.0.1", "6379", "ok")
    assert status.pool is not None and (status.pool.in_use, status.pool.max) == (0, 8)


async def test_sync_client_is_checked_in_a_thread() -> None:
    """A blocking redis.Redis client is checked too, without blocking the event loop."""
    client = redis.Redis(host="127.0.0.1", port=SHARED)
    dependency = redis_check("cache", client=client, critical=False)
    dh = DependencyHealth("svc", "team", dependency, metrics=False)
    [status] = (await dh.check_now()).values()
    checker = dh._prepared["cache"].checker
    assert not asyncio.iscoroutinefunction(checker.check)  # type: ignore[union-attr]
    assert status.detail == "ok"
    client.close()


async def test_lazy_client_is_resolved_when_checks_start() -> None:
    """A zero-argument callable is called at start, not when the check is declared."""
    made: list[Any] = []

    def factory() -> redis.asyncio.Redis:
        made.append(redis.asyncio.Redis(host="127.0.0.1", port=SHARED))
        return made[-1]

    dependency = redis_check("cache", client=factory, critical=False)
    dh = DependencyHealth("svc", "team", dependency, metrics=False)
    assert made == []
    [status] = (await dh.check_now()).values()
    assert len(made) == 1 and status.detail == "ok"
    await made[0].aclose()


def test_unsupported_client_names_its_type_and_the_supported_ones() -> None:
    """Passing something that is not a Redis client fails at construction, clearly."""
    with pytest.raises(ConfigError) as info:
        DependencyHealth("svc", "team", redis_check("cache", client=object(), critical=True))
    assert info.value.field == "client"
    assert "builtins.object" in str(info.value) and "redis.asyncio.Redis" in str(info.value)


async def test_wrong_password_is_auth_error(
    private_redis: Callable[..., PrivateRedis], caplog: pytest.LogCaptureFixture
) -> None:
    """A wrong password reads auth_error, the right one ok; no password shows in logs or repr."""
    server = private_redis(password=PASSWORD)
    url = f"redis://:bad-pw-42@127.0.0.1:{server.port}/0"
    good_url = f"redis://:{PASSWORD}@127.0.0.1:{server.port}/0"
    wrong, no_password, good, good_option = await check(
        redis_check("wrong", url=url, critical=True),
        redis_check("none", host="127.0.0.1", port=server.port, critical=True),
        redis_check("good", url=good_url, critical=True),
        redis_check("option", host="127.0.0.1", port=server.port, password=PASSWORD, critical=True),
    )
    assert (wrong.status, wrong.detail) == ("auth_error", "auth_error")
    assert no_password.detail == "auth_error"
    assert good.detail == "ok" and good_option.detail == "ok"
    assert "bad-pw-42" not in caplog.text and PASSWORD not in caplog.text
    assert PASSWORD not in repr(redis_check("x", url=good_url, password=PASSWORD, critical=True))


async def test_stopped_server_is_connection_error(
    private_redis: Callable[..., PrivateRedis],
) -> None:
    """A Redis that has stopped reads connection_error, standalone and through a client."""
    server = private_redis(password=PASSWORD)
    # The client's retry policy applies in pool mode: redis-py's default (10 retries with
    # backoff) outlasts short timeouts, so this client retries once, at once.
    client = redis.asyncio.Redis(
        host="127.0.0.1",
        port=server.port,
        password=PASSWORD,
        retry=Retry(NoBackoff(), 1),
    )
    url = f"redis://:{PASSWORD}@127.0.0.1:{server.port}"
    deps = [
        redis_check("standalone", url=url, critical=True),
        redis_check("pooled", client=client, critical=True, timeout=4, interval=5),
    ]
    assert [s.detail for s in await check(*deps)] == ["ok", "ok"]
    server.stop()
    after = await check(*deps)
    await client.aclose()
    assert [(s.status, s.detail) for s in after] == [("connection_error", "connection_refused")] * 2


@pytest.mark.parametrize(
    ("url", "status", "detail"),
    [
        ("redis://127.0.0.1:{refused}", "connection_error", "connection_refused"),
        ("redis://no-such-host.invalid:6379", "dns_error", "dns_error"),
        ("redis://127.0.0.1:{blackhole}", "timeout", "timeout"),
    ],
)
async def test_failures_are_classified(
    proxy: FaultProxy, url: str, status: str, detail: str
) -> None:
    """Refused, unresolvable and black-holed Redis endpoints get their own status."""
    proxy.blackhole()
    target = url.format(refused=free_port(), blackhole=proxy.port)
    [result] = await check(redis_check("cache", url=target, critical=True, **FAST))
    proxy.pass_through()
    assert (result.status, result.detail) == (status, detail)


async def test_tls_to_a_plain_server_fails() -> None:
    """rediss:// to a Redis without TLS is never healthy (timeout, or tls_error)."""
    # A plain Redis reads the TLS hello as an unfinished inline command and says nothing, so
    # the check usually ends in timeout; tls_error when the hello happens to hold a newline.
    url = f"rediss://127.0.0.1:{SHARED}"
    [status] = await check(redis_check("cache", url=url, critical=True, **FAST))
    assert status.detail in ("timeout", "tls_error")


async def test_standalone_checks_leave_no_connection(proxy: FaultProxy) -> None:
    """Hundreds of checks, some cancelled mid-PING, leave no connection open on the server."""
    baseline = named_clients(CLIENT_NAME)
    direct = [
        redis_check(f"direct-{i}", url=f"redis://127.0.0.1:{SHARED}/1", critical=True)
        for i in range(10)
    ]
    proxied = [
        redis_check(f"proxied-{i}", url=f"redis://127.0.0.1:{proxy.port}", critical=True, **FAST)
        for i in range(10)
    ]
    dh = DependencyHealth("svc", "team", *direct, *proxied, metrics=False)
    details: list[str] = []
    for round_number in range(10):
        black_hole(proxy, round_number % 3 == 2)
        details += [s.detail for s in (await dh.check_now()).values()]
    proxy.pass_through()  # held bytes flow: Redis sees (and ends) the abandoned connections
    assert details.count("ok") == 170 and details.count("timeout") == 30
    assert await settle(lambda: proxy.open_connections == 0)
    assert await settle(lambda: named_clients(CLIENT_NAME) == baseline)


async def test_async_client_checks_return_connections(proxy: FaultProxy) -> None:
    """Checks through the app's async client, some cancelled, give every connection back."""
    client = redis.asyncio.Redis(port=proxy.port, max_connections=4, client_name=APP_CLIENT)
    dh = DependencyHealth(
        "svc", "team", redis_check("cache", client=client, critical=True, **FAST), metrics=False
    )
    details = []
    for round_number in range(120):
        black_hole(proxy, round_number % 20 == 19)
        details += [s.detail for s in (await dh.check_now()).values()]
    proxy.pass_through()
    assert details.count("ok") == 114 and details.count("timeout") == 6
    pool = client.connection_pool
    assert len(pool._in_use_connections) == 0
    assert len(pool._available_connections) <= 4
    assert named_clients(APP_CLIENT) <= 4
    await client.aclose()
    assert await settle(lambda: proxy.open_connections == 0)
    assert await settle(lambda: named_clients(APP_CLIENT) == 0)


async def test_sync_client_checks_return_connections(proxy: FaultProxy) -> None:
    """Checks through a blocking client, some abandoned by the timeout, return connections."""
    client = redis.Redis(
        port=proxy.port,
        max_connections=4,
        socket_timeout=0.4,
        retry=SyncRetry(NoBackoff(), 1),
        client_name=APP_CLIENT,
    )
    dh = DependencyHealth(
        "svc", "team", redis_check("cache", client=client, critical=True, **FAST), metrics=False
    )
    details = []
    for round_number in range(100):
        black_hole(proxy, round_number % 25 == 10)
        details += [s.detail for s in (await dh.check_now()).values()]
    proxy.pass_through()
    assert details.count("ok") >= 92 and details.count("timeout") >= 4
    pool = client.connection_pool
    assert await settle(lambda: len(pool._in_use_connections) == 0)
    client.close()
    assert await settle(lambda: proxy.open_connections == 0)
    assert await settle(lambda: named_clients(APP_CLIENT) == 0)
    assert own_sockets_to(proxy.port) == 0
