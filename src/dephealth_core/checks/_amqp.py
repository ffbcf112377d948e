"""AMQP 0-9-1 checks (RabbitMQ): open a connection and close it; or use the app's connection."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Unpack
from urllib.parse import quote, unquote, urlsplit

from .._dependency import CommonOptions, Dependency, Endpoint, Kind, Target, option_error
from .._exceptions import (
    AuthError,
    CheckError,
    ConfigError,
    ConnectionRefused,
    PoolExhausted,
    Unhealthy,
)
from .._urls import format_host
from ._auth import ssl_context, tls_flags
from ._drivers import check_timeout, import_driver, platform_error, unsupported_source

AMQP_OPTIONS = frozenset({"vhost", "username", "password", "tls", "tls_skip_verify", "tls_ca_file"})
SUPPORTED_SOURCES = (
    "aio_pika Connection or RobustConnection, aio_pika.pool.Pool of connections or "
    "channels (or a zero-argument callable returning one)"
)
#: connection.close reply codes that mean the credentials or their rights were refused.
_ACCESS_CODES = frozenset({403, 530})


@dataclass(frozen=True, slots=True)
class AmqpSettings:
    """What a standalone check connects with."""

    vhost: str
    tls: bool
    skip_verify: bool
    ca_file: str | None
    timeout: float
    username: str = "guest"
    password: str = field(default="guest", repr=False)


def amqp_settings(dependency: Dependency, target: Target | None = None) -> AmqpSettings:
    """Validate an AMQP dependency's options; the vhost comes from the URL path or ``vhost``."""
    opts = dependency.options
    for name in ("vhost", "username", "password"):
        if opts.get(name) is not None and not isinstance(opts[name], str):
            raise option_error(dependency, name, "expected a string")
    vhost = opts.get("vhost")
    if vhost is None and target is not None and target.path not in ("", "/"):
        vhost = unquote(target.path[1:])  # "/%2F" is the vhost "/"
    url_tls = target.tls if target is not None else str(dependency.url or "").startswith("amqps:")
    tls, skip, ca_file = tls_flags(dependency, url_tls)
    username = opts.get("username") or (target.username if target else None) or "guest"
    password = opts.get("password")
    if password is None:
        password = target.password if target is not None and target.password else "guest"
    return AmqpSettings(
        vhost=vhost if vhost is not None else "/",
        tls=tls,
        skip_verify=skip,
        ca_file=ca_file,
        timeout=check_timeout(dependency),
        username=username,
        password=password,
    )


@contextlib.asynccontextmanager
async def amqp_errors() -> AsyncIterator[None]:
    """Turn aiormq/aio-pika errors into classified ones: the only place that knows them."""
    from aiormq import exceptions as ax

    try:
        yield
    except CheckError:
        raise
    except (ax.ProbableAuthenticationError, ax.AuthenticationError) as exc:
        raise AuthError("the broker refused the credentials") from exc
    except ax.ConnectionClosed as exc:
        if exc.args and exc.args[0] in _ACCESS_CODES:
            raise AuthError("the broker refused access to the virtual host") from exc
        raise Unhealthy("the broker closed the connection") from exc
    except ax.InvalidFrameError as exc:
        # aiormq reports a Connection.Close in answer to Connection.Open (RabbitMQ's 530
        # for a virtual host the user may not open, or that does not exist) this way.
        if "Connection.Close" in str(exc):
            raise AuthError("the broker refused access to the virtual host") from exc
        raise CheckError("the broker answered out of protocol") from exc
    except (ax.AMQPConnectionError, ax.IncompatibleProtocolError, OSError) as exc:
        error = platform_error(exc, "cannot talk to the broker", default="connection_refused")
        raise error from exc
    except (ax.AMQPError, RuntimeError) as exc:
        # A channel or connection the broker closed, or one aio-pika no longer uses.
        raise Unhealthy("the broker connection is not usable") from exc


class AmqpChecker:
    """Standalone mode: opens an AMQP connection (no channel) and closes it."""

    def __init__(self, settings: AmqpSettings) -> None:
        self.settings = settings
        self._ssl: Any = None

    def _url(self, endpoint: Endpoint) -> str:
        s = self.settings
        scheme = "amqps" if s.tls else "amqp"
        credentials = f"{quote(s.username, safe='')}:{quote(s.password, safe='')}"
        vhost = quote(s.vhost, safe="")
        # No heartbeats: the connection lives for one handshake only.
        return (
            f"{scheme}://{credentials}@{format_host(endpoint.host)}:{endpoint.port}/{vhost}"
            "?heartbeat=0"
        )

    async def check(self, endpoint: Endpoint) -> None:
        """Open and close an AMQP connection to ``endpoint``."""
        import aiormq

        s = self.settings
        if s.tls and self._ssl is None:
            self._ssl = ssl_context(s.skip_verify, s.ca_file)
        connection = aiormq.Connection(self._url(endpoint), context=self._ssl)
        try:
            async with amqp_errors():
                await connection.connect()
        finally:
            await _close(connection)


async def _close(connection: Any) -> None:
    # Closing never decides the result, but it must not outlive a cancelled check either.
    with contextlib.suppress(Exception):
        await asyncio.shield(connection.close())


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
        self.acquire_timeout = timeout * 0.9

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


def _source_kind(source: Any) -> str | None:
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


def _source_hosts(dependency: Dependency, source: Any) -> list[tuple[str, str]]:
    kind = _source_kind(source)
    if kind is None:
        raise unsupported_source(dependency, source, "pool", SUPPORTED_SOURCES)
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


def _validate(dependency: Dependency) -> None:
    amqp_settings(dependency)


def _make_checker(dependency: Dependency, target: Target) -> Any:
    import_driver("aio_pika", extra="amqp", kind="AMQP")
    settings = amqp_settings(dependency, target)
    kind = _source_kind(target.source) if target.source is not None else None
    if target.source is None:
        return AmqpChecker(settings)
    if kind == "pool":
        return AmqpPoolChecker(target.source, settings.timeout)
    if kind == "connection":
        return AmqpConnectionChecker(target.source)
    raise unsupported_source(dependency, target.source, "pool", SUPPORTED_SOURCES)


AMQP_KIND = Kind(
    type="amqp",
    default_port=5672,
    make_checker=_make_checker,
    validate=_validate,
    source_hosts=_source_hosts,
    is_source=lambda source: _source_kind(source) is not None,
    tls_default_port=5671,
    options=AMQP_OPTIONS,
)


def amqp_check(
    name: str,
    *,
    critical: bool | None = None,
    url: str | None = None,
    host: str | None = None,
    port: int | str | None = None,
    vhost: str | None = None,
    username: str | None = None,
    password: str | None = None,
    tls: bool | None = None,
    tls_skip_verify: bool | None = None,
    tls_ca_file: str | None = None,
    pool: Any = None,
    client: Any = None,
    **common: Unpack[CommonOptions],
) -> Dependency:
    """Declare an AMQP 0-9-1 dependency (RabbitMQ), healthy when a connection opens.

    Args:
        name: the dependency name.
        critical: whether the service cannot work without it (required).
        url: ``amqp://user:password@host[:5672]/vhost`` (``amqps://``, port 5671, for TLS).
        host: the host, instead of ``url``; ``port`` defaults to 5672.
        vhost: the virtual host (default: the URL path, else ``/``). It is not a label.
        username: the user (default: the URL's, else ``guest``).
        password: the password (default: the URL's, else ``guest``).
        tls: use TLS (implied by ``amqps://``).
        tls_skip_verify: do not verify the server certificate.
        tls_ca_file: a CA bundle to verify the server certificate with.
        pool: the app's ``aio_pika.pool.Pool`` (of connections or channels) or aio-pika
            connection (pool mode), or a zero-argument callable returning one.
        client: the same as ``pool``, for those who call a connection a client.
        **common: ``interval``, ``timeout``, ``initial_delay``, thresholds, ``labels``.
    """
    if pool is not None and client is not None:
        raise ConfigError("give either pool= or client=, not both", dependency=name, field="client")
    options = {
        key: value
        for key, value in {
            "vhost": vhost,
            "username": username,
            "password": password,
            "tls": tls,
            "tls_skip_verify": tls_skip_verify,
            "tls_ca_file": tls_ca_file,
        }.items()
        if value is not None
    }
    return Dependency(
        name,
        AMQP_KIND,
        critical=critical,
        url=url,
        host=host,
        port=port,
        options=options,
        source=pool if pool is not None else client,
        **common,
    )
