"""Kafka checks against a private Tansu broker, a fault proxy and a broker-less stub."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from dephealth_core import ConfigError, Dependency, DependencyHealth, EndpointStatus, kafka_check
from tests.conftest import server_unavailable
from tests.support.fault_proxy import FaultProxy
from tests.support.ports import free_port, port_is_open
from tests.support.procfs import own_sockets_to
from tests.support.servers import KafkaBroker, ServerNotInstalled

from .kv_support import black_hole, settle

pytestmark = pytest.mark.kafka

#: Short enough for black-holed rounds, long enough for a healthy check on a loaded machine
#: (the suite runs in three processes on two cores).
FAST = {"timeout": 1.0, "interval": 5}

ProxyFactory = Callable[..., Awaitable[FaultProxy]]


class BrokerBehindProxy(KafkaBroker):
    """A broker that advertises another port (a proxy's), so clients reach it only through it."""

    def __init__(self, advertised_port: int) -> None:
        super().__init__()
        self.advertised_port = advertised_port

    def _command(self) -> Sequence[str]:
        command = list(super()._command())
        at = command.index("--advertised-listener-url") + 1
        command[at] = f"tcp://{self.host}:{self.advertised_port}"
        return command

    def _is_ready(self) -> bool:
        # The base class waits for the metadata to list this port, which it never will.
        return port_is_open(self.host, self.port)


@pytest.fixture
async def proxy(kafka_broker: KafkaBroker, fault_proxy: ProxyFactory) -> FaultProxy:
    return await fault_proxy("127.0.0.1", kafka_broker.port)


@pytest.fixture
async def proxied_broker(
    fault_proxy: ProxyFactory,
) -> AsyncIterator[tuple[KafkaBroker, FaultProxy]]:
    proxy_port = free_port()
    try:
        broker = BrokerBehindProxy(proxy_port)
    except ServerNotInstalled as exc:
        server_unavailable(str(exc))
    with broker:
        proxy = await fault_proxy("127.0.0.1", broker.port, port=proxy_port)
        yield broker, proxy


async def _brokerless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers ApiVersions (Metadata v0 only) and Metadata with no broker at all."""
    try:
        while True:
            size = struct.unpack(">i", await reader.readexactly(4))[0]
            request = await reader.readexactly(size)
            api_key, _, correlation = struct.unpack_from(">hhi", request)
            if api_key == 18:  # ApiVersions v0: Metadata and ApiVersions, version 0 only
                body = struct.pack(">ihi", correlation, 0, 2) + struct.pack(
                    ">hhhhhh", 3, 0, 0, 18, 0, 0
                )
            else:  # Metadata v0: no brokers, no topics
                body = struct.pack(">iii", correlation, 0, 0)
            writer.write(struct.pack(">i", len(body)) + body)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


async def check(*dependencies: Dependency) -> list[EndpointStatus]:
    dh = DependencyHealth("svc", "team", *dependencies, metrics=False)
    return list((await dh.check_now()).values())


async def test_each_broker_of_the_url_is_its_own_endpoint(kafka_broker: KafkaBroker) -> None:
    """kafka://a,b gives one endpoint per broker; a dead broker does not hide a live one."""
    dead = free_port()
    url = f"kafka://127.0.0.1:{kafka_broker.port},127.0.0.1:{dead}"
    live, gone = await check(kafka_check("kafka", url=url, critical=True))
    assert (live.port, live.status, live.detail) == (str(kafka_broker.port), "ok", "ok")
    assert (gone.port, gone.status, gone.detail) == (
        str(dead),
        "connection_error",
        "connection_refused",
    )


async def test_metadata_without_brokers_is_no_brokers() -> None:
    """A server that answers metadata listing no broker reads unhealthy / no_brokers."""
    server = await asyncio.start_server(_brokerless, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        [status] = await check(kafka_check("kafka", host="127.0.0.1", port=port, critical=True))
    finally:
        server.close()
    assert (status.status, status.detail) == ("unhealthy", "no_brokers")


@pytest.mark.parametrize(
    ("url", "status", "detail"),
    [
        ("kafka://127.0.0.1:{refused}", "connection_error", "connection_refused"),
        ("kafka://no-such-host.invalid:9092", "dns_error", "dns_error"),
        ("kafka://127.0.0.1:{blackhole}", "timeout", "timeout"),
    ],
)
async def test_failures_are_classified(
    proxy: FaultProxy, url: str, status: str, detail: str
) -> None:
    """No reachable broker, an unknown name and a silent broker get their own status."""
    proxy.blackhole()
    target = url.format(refused=free_port(), blackhole=proxy.port)
    [result] = await check(kafka_check("kafka", url=target, critical=True, **FAST))
    proxy.pass_through()
    assert (result.status, result.detail) == (status, detail)


async def test_app_clients_alone_give_the_endpoint(kafka_broker: KafkaBroker) -> None:
    """A started producer, consumer or admin client is checked through; hosts come from it."""
    servers = f"127.0.0.1:{kafka_broker.port}"
    producer = AIOKafkaProducer(bootstrap_servers=servers)
    consumer = AIOKafkaConsumer(bootstrap_servers=servers)
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await producer.start()
    await consumer.start()
    await admin.start()
    try:
        statuses = await check(
            kafka_check("producer", client=producer, critical=True),
            kafka_check("consumer", client=consumer, critical=True),
            kafka_check("admin", client=admin, critical=True),
        )
    finally:
        await producer.stop()
        await consumer.stop()
        await admin.close()
    assert [(s.host, s.port, s.detail) for s in statuses] == [
        ("127.0.0.1", str(kafka_broker.port), "ok")
    ] * 3


async def test_lazy_client_is_resolved_at_start(kafka_broker: KafkaBroker) -> None:
    """client= takes a zero-argument callable, called when the checks start."""
    producer = AIOKafkaProducer(bootstrap_servers=f"127.0.0.1:{kafka_broker.port}")
    dh = DependencyHealth(
        "svc", "team", kafka_check("kafka", client=lambda: producer, critical=True), metrics=False
    )
    await producer.start()
    [status] = (await dh.check_now()).values()
    await producer.stop()
    assert status.detail == "ok"


def test_unsupported_client_is_a_config_error() -> None:
    """Something that is not an aiokafka client fails at construction, naming its type."""
    with pytest.raises(ConfigError) as info:
        DependencyHealth("svc", "team", kafka_check("kafka", client=object(), critical=True))
    assert "builtins.object" in str(info.value) and "AIOKafkaProducer" in str(info.value)


async def test_standalone_checks_leave_no_socket(
    kafka_broker: KafkaBroker, proxy: FaultProxy
) -> None:
    """A hundred and more checks, some cancelled mid-request, leave no connection open."""
    direct = [
        kafka_check(f"direct-{i}", url=f"kafka://127.0.0.1:{kafka_broker.port}", critical=True)
        for i in range(10)
    ]
    proxied = [
        kafka_check(f"proxied-{i}", url=f"kafka://127.0.0.1:{proxy.port}", critical=True, **FAST)
        for i in range(4)
    ]
    dh = DependencyHealth("svc", "team", *direct, *proxied, metrics=False)
    details: list[str] = []
    for round_number in range(10):
        black_hole(proxy, round_number % 5 == 2)
        details += [s.detail for s in (await dh.check_now()).values()]
    proxy.pass_through()
    assert details.count("ok") == 132 and details.count("timeout") == 8
    assert await settle(lambda: own_sockets_to(proxy.port) == 0)
    assert await settle(lambda: own_sockets_to(kafka_broker.port) == 0)


async def test_client_checks_add_no_connection(
    proxied_broker: tuple[KafkaBroker, FaultProxy],
) -> None:
    """Checks through the app's producer, some cancelled, leave only the producer's sockets."""
    broker, proxy = proxied_broker
    producer = AIOKafkaProducer(bootstrap_servers=f"127.0.0.1:{proxy.port}")
    await producer.start()
    baseline = own_sockets_to(broker.port)
    dh = DependencyHealth(
        "svc", "team", kafka_check("kafka", client=producer, critical=True, **FAST), metrics=False
    )
    details: list[str] = []
    for round_number in range(100):
        black_hole(proxy, round_number % 25 == 10)
        details += [s.detail for s in (await dh.check_now()).values()]
    proxy.pass_through()
    assert details.count("timeout") >= 4 and details.count("ok") >= 90
    assert own_sockets_to(broker.port) <= max(baseline, 1)
    await producer.stop()
    assert await settle(lambda: proxy.open_connections == 0)
    assert await settle(lambda: own_sockets_to(broker.port) == 0)
