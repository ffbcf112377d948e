"""AMQP pool mode: the app's aio-pika connection or ``aio_pika.pool.Pool``."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from .._dependency import Dependency, Endpoint, option_error
from .._exceptions import ConnectionRefused, PoolExhausted
from ._amqp_errors import amqp_errors
from ._pool_mode import TimeoutShare

SUPPORTED_SOURCES = (
    "aio_pika Connection or RobustConnection, aio_pika.pool.Pool of connections or "
    "channels (or a zero-argument callable returning one)"
)


class AmqpConnectionChecker:
    """Pool mode with an aio-pika connection: a channel opened and closed on it."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    async def check(self, endpoint: Endpoint) -> None:
        """Open and close a channel on the app's connection."""
        if self.connection.is_closed:
            raise ConnectionRefused("the app's AMQP connection is closed")
        connected = getattr(self.connection, "connected", None)
        if connected is not None and not connected.is_set():
            # A robust connection between a loss and its reconnection.
            raise ConnectionRefused("the app's AMQP connection is reconnecting")
        async with amqp_errors():
            channel = await self.connection.channel()
            await channel.close()


class AmqpPoolChecker:
    """Pool mode with ``aio_pika.pool.Pool``: borrow an item, prove it works, give it back."""

    def __init__(self, pool: Any, timeout: float) -> None:
        self.pool = pool
        # Waiting for a free item gets most of the timeout, so a pool held full reads as
        # pool_exhausted rather than as a plain timeout.
        self.acquire_timeout = TimeoutShare(timeout).borrow

    async def check(self, endpoint: Endpoint) -> None:
        """Borrow from the app's pool and run one round trip on what it gives."""
        import aio_pika

        try:
            async with asyncio.timeout(self.acquire_timeout):
                manager = self.pool.acquire()
                item = await manager.__aenter__()
        except TimeoutError:
            raise PoolExhausted("no item of the app's AMQP pool came free in time") from None
        try:
            async with amqp_errors():
                if isinstance(item, aio_pika.abc.AbstractChannel):
                    if item.is_closed:
                        raise ConnectionRefused("the pooled AMQP channel is closed")
                    # A passive declare is a harmless round trip; amq.direct always exists.
                    await item.get_exchange("amq.direct", ensure=True)
                else:
                    await AmqpConnectionChecker(item).check(endpoint)
        finally:
            await manager.__aexit__(None, None, None)


def source_kind(source: Any) -> str | None:
    try:
        import aio_pika
        import aio_pika.pool
    except ImportError:
        return None
    if isinstance(source, aio_pika.pool.Pool):
        return "pool"
    if isinstance(source, aio_pika.abc.AbstractConnection):
        return "connection"
    return None


def _address_of(url: Any) -> tuple[str, str] | None:
    if url is None:
        return None
    parts = urlsplit(str(url))
    if parts.hostname is None:
        return None
    default = 5671 if parts.scheme == "amqps" else 5672
    return parts.hostname, str(parts.port or default)


def source_hosts(dependency: Dependency, source: Any) -> list[tuple[str, str]]:
    kind = source_kind(source)
    if dependency.url is not None or dependency.host is not None:
        return []  # the address is given; only the object's type needed checking
    address = None
    if kind == "connection":
        address = _address_of(getattr(source, "url", None))
    else:
        # A pool hides its broker; ``Pool(aio_pika.connect_robust, url)`` keeps the URL.
        args = getattr(source, "_Pool__constructor_args", ())
        address = _address_of(args[0]) if args and isinstance(args[0], str) else None
    if address is None:
        raise option_error(
            dependency, "url", "cannot read the broker's address from this pool: give url="
        )
    return [address]
