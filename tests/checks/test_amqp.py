"""AMQP checks against the shared RabbitMQ, directly and through a fault proxy.

Connections are counted as this process's open sockets to 5672 (each descriptor of
``/proc/self/fd`` asked for its peer): ``rabbitmqctl list_connections`` takes seconds a call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aio_pika
import aio_pika.pool
import pytest

from dephealth_core import ConfigError, Dependency, DependencyHealth, EndpointStatus, amqp_check
from tests.support.fault_proxy import FaultProxy
from tests.support.ports import free_port
from tests.support.procfs import own_sockets_to

from .kv_support import black_hole, settle

pytestmark = pytest.mark.amqp

SHARED = 5672
URL = f"amqp://guest:guest@127.0.0.1:{SHARED}/"
#: Short enough for black-holed rounds, long enough for a healthy check on a loaded machine
#: (the suite runs in three processes on two cores).
FAST = {"timeout": 1.0, "interval": 5}


@pytest.fixture(autouse=True)
def _shared_rabbitmq(amqp_url: str) -> None:
    """Every test here needs the shared RabbitMQ (skips, or fails under CI, without it)."""


@pytest.fixture
async def proxy(fault_proxy: Callable[..., Awaitable[FaultProxy]]) -> FaultProxy:
    return await fault_proxy("127.0.0.1", SHARED)


async def check(*dependencies: Dependency) -> list[EndpointStatus]:
    dh = DependencyHealth("svc", "team", *dependencies, metrics=False)
    return list((await dh.check_now()).values())


async def test_standalone_opens_and_closes_a_connection() -> None:
    """A broker that accepts the connection is healthy; the vhost is no label."""
    baseline = own_sockets_to(SHARED)
    [status] = await check(amqp_check("broker", url=URL + "%2F", critical=True))
    assert (status.status, status.detail, status.port) == ("ok", "ok", "5672")
    assert "vhost" not in status.labels
    assert await settle(lambda: own_sockets_to(SHARED) == baseline)


@pytest.mark.parametrize(
    ("url", "status", "detail"),
    [
        ("amqp://guest:wrong-password@127.0.0.1:5672/", "auth_error", "auth_error"),
        ("amqp://guest:guest@127.0.0.1:5672/no-such-vhost", "auth_error", "auth_error"),
        ("amqps://guest:guest@127.0.0.1:5672/", "tls_error", "tls_error"),
        ("amqp://guest:guest@127.0.0.1:{refused}/", "connection_error", "connection_refused"),
        ("amqp://guest:guest@no-such-host.invalid/", "dns_error", "dns_error"),
        ("amqp://guest:guest@127.0.0.1:{blackhole}/", "timeout", "timeout"),
    ],
)
async def test_failures_are_classified(
    proxy: FaultProxy, url: str, status: str, detail: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Each broker failure gets its own status, and the password never shows in the logs."""
    proxy.blackhole()
    target = url.format(refused=free_port(), blackhole=proxy.port)
    [result] = await check(amqp_check("broker", url=target, critical=True, **FAST))
    proxy.pass_through()
    assert (result.status, result.detail) == (status, detail)
    assert "wrong-password" not in caplog.text


async def test_connection_alone_gives_the_endpoint() -> None:
    """amqp_check(name, client=connection) reads host and port from the app's connection."""
    connection = await aio_pika.connect_robust(URL)
    try:
        [status] = await check(amqp_check("broker", client=connection, critical=True))
    finally:
        await connection.close()
    assert (status.host, status.port, status.detail) == ("127.0.0.1", "5672", "ok")


async def test_pools_of_connections_and_channels_are_checked() -> None:
    """A pool of connections (address from its URL) and a pool of channels both work."""
    connection = await aio_pika.connect_robust(URL)

    async def new_channel() -> aio_pika.abc.AbstractChannel:
        return await connection.channel()

    connections: aio_pika.pool.Pool[aio_pika.abc.AbstractRobustConnection] = aio_pika.pool.Pool(
        aio_pika.connect_robust, URL, max_size=2
    )
    channels: aio_pika.pool.Pool[aio_pika.abc.AbstractChannel] = aio_pika.pool.Pool(
        new_channel, max_size=2
    )
    try:
        by_connection, by_channel = await check(
            amqp_check("connections", pool=connections, critical=True),
            amqp_check("channels", pool=channels, host="127.0.0.1", critical=True),
        )
    finally:
        await channels.close()
        await connections.close()
        await connection.close()
    assert (by_connection.host, by_connection.detail) == ("127.0.0.1", "ok")
    assert by_channel.detail == "ok"


async def test_lazy_pool_is_resolved_at_start() -> None:
    """pool= also takes a zero-argument callable, called when the checks start."""
    holder: list[aio_pika.abc.AbstractRobustConnection] = []
    dh = DependencyHealth(
        "svc", "team", amqp_check("broker", pool=lambda: holder[0], critical=True), metrics=False
    )
    holder.append(await aio_pika.connect_robust(URL))
    [status] = (await dh.check_now()).values()
    await holder[0].close()
    assert status.detail == "ok"


async def test_pool_held_full_is_pool_exhausted() -> None:
    """When the app holds every item of its pool, the check reads pool_exhausted."""
    pool: aio_pika.pool.Pool[aio_pika.abc.AbstractRobustConnection] = aio_pika.pool.Pool(
        aio_pika.connect_robust, URL, max_size=1
    )
    async with pool.acquire():
        [status] = await check(amqp_check("broker", pool=pool, critical=True, **FAST))
    await pool.close()
    assert (status.status, status.detail) == ("error", "pool_exhausted")


def test_unsupported_objects_are_config_errors() -> None:
    """Something that is not aio-pika, or both pool= and client=, fails at construction."""
    with pytest.raises(ConfigError) as info:
        DependencyHealth("svc", "team", amqp_check("broker", pool=object(), critical=True))
    assert "builtins.object" in str(info.value) and "aio_pika" in str(info.value)
    with pytest.raises(ConfigError, match="not both"):
        amqp_check("broker", pool=object(), client=object(), critical=True)


async def test_standalone_checks_leave_no_connection(proxy: FaultProxy) -> None:
    """A hundred and more checks, some cancelled mid-handshake, leave no socket open."""
    baseline = own_sockets_to(SHARED)
    direct = [amqp_check(f"direct-{i}", url=URL, critical=True) for i in range(10)]
    proxied = [
        amqp_check(
            f"proxied-{i}", url=f"amqp://guest:guest@127.0.0.1:{proxy.port}/", critical=True, **FAST
        )
        for i in range(5)
    ]
    dh = DependencyHealth("svc", "team", *direct, *proxied, metrics=False)
    details: list[str] = []
    for round_number in range(8):
        black_hole(proxy, round_number % 4 == 3)
        details += [s.detail for s in (await dh.check_now()).values()]
    proxy.pass_through()
    assert details.count("ok") == 110 and details.count("timeout") == 10
    assert await settle(lambda: own_sockets_to(proxy.port) == 0)
    assert await settle(lambda: own_sockets_to(SHARED) == baseline)


async def test_connection_checks_leave_no_channel_or_socket(proxy: FaultProxy) -> None:
    """Checks through the app's connection, some cancelled, keep it usable and add nothing."""
    connection = await aio_pika.connect_robust(f"amqp://guest:guest@127.0.0.1:{proxy.port}/")
    dh = DependencyHealth(
        "svc", "team", amqp_check("broker", client=connection, critical=True, **FAST), metrics=False
    )
    details: list[str] = []
    for round_number in range(100):
        black_hole(proxy, round_number % 25 == 10)
        details += [s.detail for s in (await dh.check_now()).values()]
    proxy.pass_through()
    assert details.count("ok") == 96 and details.count("timeout") == 4
    assert own_sockets_to(proxy.port) == 1
    channel = await connection.channel()  # the app's connection still works
    await channel.close()
    await connection.close()
    assert await settle(lambda: own_sockets_to(proxy.port) == 0)
    await asyncio.sleep(0)


async def test_pool_checks_give_every_item_back(proxy: FaultProxy) -> None:
    """Checks through the app's pool, some cancelled, give items back and open nothing more."""
    url = f"amqp://guest:guest@127.0.0.1:{proxy.port}/"
    pool: aio_pika.pool.Pool[aio_pika.abc.AbstractRobustConnection] = aio_pika.pool.Pool(
        aio_pika.connect_robust, url, max_size=2
    )
    dh = DependencyHealth(
        "svc", "team", amqp_check("broker", pool=pool, critical=True, **FAST), metrics=False
    )
    # The pool's first connection is opened here, outside any check's timeout: on a loaded
    # machine the AMQP handshake alone can take longer than FAST allows.
    async with pool.acquire():
        pass
    details: list[str] = []
    most = 0
    for round_number in range(100):
        black_hole(proxy, round_number % 25 == 10)
        details += [s.detail for s in (await dh.check_now()).values()]
        most = max(most, own_sockets_to(proxy.port))
    proxy.pass_through()
    assert details.count("ok") == 96 and details.count("timeout") == 4
    assert most == 1  # one check at a time needs one pooled connection, reused
    async with pool.acquire() as connection:  # the item was given back and still works
        channel = await connection.channel()
        await channel.close()
    await pool.close()
    assert await settle(lambda: own_sockets_to(proxy.port) == 0)
    assert await settle(lambda: own_sockets_to(SHARED) == 0)
