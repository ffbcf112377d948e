"""Kafka checks with aiokafka: a metadata request to each broker, or through the app's client."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, Unpack

from .._dependency import Dependency, Endpoint, EndpointOptions, Kind, Target
from .._exceptions import CheckError, CheckTimeout, Unhealthy
from ._drivers import check_timeout, import_driver, platform_error
from ._factories import declares

SUPPORTED_CLIENTS = (
    "aiokafka AIOKafkaProducer, AIOKafkaConsumer, AIOKafkaAdminClient or AIOKafkaClient "
    "(or a zero-argument callable returning one)"
)
CLIENT_ID = "dephealth"


def no_brokers() -> Unhealthy:
    """The answer listed no broker."""
    return Unhealthy("the metadata lists no broker", detail="no_brokers")


@contextlib.contextmanager
def kafka_errors() -> Iterator[None]:
    """Turn aiokafka errors into classified ones: the only place that knows them."""
    from aiokafka import errors as kx

    try:
        yield
    except CheckError:
        raise
    except kx.KafkaTimeoutError as exc:
        raise CheckTimeout("the broker did not answer in time") from exc
    except (kx.KafkaConnectionError, kx.KafkaError, OSError) as exc:
        error = platform_error(exc, "cannot talk to the broker", default="connection_refused")
        raise error from exc


class KafkaChecker:
    """Standalone mode: one connection to the endpoint's broker, one metadata request."""

    def __init__(self, timeout: float) -> None:
        self.request_timeout_ms = max(1, int(timeout * 1000))

    async def check(self, endpoint: Endpoint) -> None:
        """Ask ``endpoint`` for the cluster's brokers (and no topics)."""
        from aiokafka.conn import create_conn
        from aiokafka.protocol.metadata import MetadataRequest

        connection = None
        try:
            with kafka_errors():
                connection = await create_conn(
                    endpoint.host,
                    int(endpoint.port),
                    client_id=CLIENT_ID,
                    request_timeout_ms=self.request_timeout_ms,
                )
                # An empty topic list asks for the brokers only (from v1 on).
                response = await connection.send(MetadataRequest([]))
        finally:
            if connection is not None:
                connection.close()
        if not response.brokers:
            raise no_brokers()


class KafkaClientChecker:
    """Pool mode: a metadata refresh through the app's client and its connections."""

    def __init__(self, client: Any) -> None:
        self.client = client

    async def check(self, endpoint: Endpoint) -> None:
        """Fetch the cluster metadata through the app's client."""
        with kafka_errors():
            cluster = await self.client.fetch_all_metadata()
        if not cluster.brokers():
            raise no_brokers()


def _inner_client(source: Any) -> Any:
    """The ``AIOKafkaClient`` inside a producer, consumer or admin client, or ``None``."""
    try:
        from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
        from aiokafka.admin import AIOKafkaAdminClient
        from aiokafka.client import AIOKafkaClient
    except ImportError:
        return None
    if isinstance(source, AIOKafkaClient):
        return source
    if isinstance(source, AIOKafkaProducer):
        return source.client
    if isinstance(source, AIOKafkaConsumer | AIOKafkaAdminClient):
        return source._client
    return None


def _source_hosts(dependency: Dependency, source: Any) -> list[tuple[str, str]]:
    servers = _inner_client(source)._bootstrap_servers
    if isinstance(servers, str):
        servers = servers.split(",")
    hosts: list[tuple[str, str]] = []
    for server in servers:
        host, _, port = str(server).strip().rpartition(":")
        if not host:
            host, port = port, "9092"
        hosts.append((host.strip("[]"), port or "9092"))
    return hosts


def _make_checker(dependency: Dependency, target: Target) -> Any:
    import_driver("aiokafka", extra="kafka", kind="Kafka")
    if target.source is None:
        return KafkaChecker(check_timeout(dependency))
    return KafkaClientChecker(_inner_client(target.source))


class KafkaCheckOptions(EndpointOptions, total=False):
    """The keywords of :func:`kafka_check`."""

    client: Any


KAFKA_KIND = Kind(
    type="kafka",
    default_port=9092,
    make_checker=_make_checker,
    source_hosts=_source_hosts,
    is_source=lambda source: _inner_client(source) is not None,
    supported_sources=SUPPORTED_CLIENTS,
    source_field="client",
    declaration=KafkaCheckOptions,
)


@declares(KAFKA_KIND)
def kafka_check(name: str, **options: Unpack[KafkaCheckOptions]) -> Dependency:
    """Declare a Kafka dependency: each broker answers a metadata request that lists brokers.

    Args:
        url: ``kafka://broker1:9092,broker2:9092``: one endpoint per broker, each checked
            on its own.
        host: a single broker, instead of ``url``; ``port`` defaults to 9092.
        client: the app's started ``AIOKafkaProducer``, ``AIOKafkaConsumer`` or
            ``AIOKafkaAdminClient`` (pool mode: the metadata is refreshed through it), or a
            zero-argument callable returning one; its bootstrap servers are the endpoints.
    """
    return KAFKA_KIND.declare(name, options)
