"""AMQP 0-9-1 checks (RabbitMQ): open a connection and close it; or use the app's connection."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Annotated, Any, Unpack
from urllib.parse import quote, unquote

from .._dependency import Dependency, Endpoint, EndpointOptions, Kind, Target
from .._urls import format_host
from ._amqp_errors import amqp_errors
from ._amqp_pools import (
    SUPPORTED_SOURCES,
    AmqpConnectionChecker,
    AmqpPoolChecker,
    source_hosts,
    source_kind,
)
from ._auth import TlsOptions, TlsSettings, tls_settings
from ._declaration import Expects
from ._drivers import check_timeout, import_driver
from ._factories import declares


class AmqpCheckOptions(EndpointOptions, TlsOptions, total=False):
    """The keywords of :func:`amqp_check`."""

    vhost: Annotated[str | None, Expects("a string")]
    username: Annotated[str | None, Expects("a string")]
    password: Annotated[str | None, Expects("a string")]
    pool: Any
    client: Any


@dataclass(frozen=True, slots=True)
class AmqpSettings:
    """What a standalone check connects with."""

    vhost: str
    tls: TlsSettings
    timeout: float
    username: str = "guest"
    password: str = field(default="guest", repr=False)


def amqp_settings(dependency: Dependency, target: Target | None = None) -> AmqpSettings:
    """Validate an AMQP dependency's options; the vhost comes from the URL path or ``vhost``."""
    opts = dependency.options
    vhost = opts.get("vhost")
    if vhost is None and target is not None and target.path not in ("", "/"):
        vhost = unquote(target.path[1:])  # "/%2F" is the vhost "/"
    username = opts.get("username") or (target.username if target else None) or "guest"
    password = opts.get("password")
    if password is None:
        password = target.password if target is not None and target.password else "guest"
    return AmqpSettings(
        vhost=vhost if vhost is not None else "/",
        tls=tls_settings(dependency, target, "amqps"),
        timeout=check_timeout(dependency),
        username=username,
        password=password,
    )


class AmqpChecker:
    """Standalone mode: opens an AMQP connection (no channel) and closes it."""

    def __init__(self, settings: AmqpSettings) -> None:
        self.settings = settings
        self._ssl: Any = None

    def _url(self, endpoint: Endpoint) -> str:
        s = self.settings
        scheme = "amqps" if s.tls.enabled else "amqp"
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
        if s.tls.enabled and self._ssl is None:
            self._ssl = s.tls.context()
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


def _make_checker(dependency: Dependency, target: Target) -> Any:
    import_driver("aio_pika", extra="amqp", kind="AMQP")
    settings = amqp_settings(dependency, target)
    kind = source_kind(target.source) if target.source is not None else None
    if target.source is None:
        return AmqpChecker(settings)
    if kind == "pool":
        return AmqpPoolChecker(target.source, settings.timeout)
    return AmqpConnectionChecker(target.source)


AMQP_KIND = Kind(
    type="amqp",
    default_port=5672,
    make_checker=_make_checker,
    settings=amqp_settings,
    source_hosts=source_hosts,
    is_source=lambda source: source_kind(source) is not None,
    supported_sources=SUPPORTED_SOURCES,
    tls_default_port=5671,
    declaration=AmqpCheckOptions,
)


@declares(AMQP_KIND)
def amqp_check(name: str, **options: Unpack[AmqpCheckOptions]) -> Dependency:
    """Declare an AMQP 0-9-1 dependency (RabbitMQ), healthy when a connection opens.

    Args:
        url: ``amqp://user:password@host[:5672]/vhost`` (``amqps://``, port 5671, for TLS).
        vhost: the virtual host (default: the URL path, else ``/``). It is not a label.
        username: the user (default: the URL's, else ``guest``).
        password: the password (default: the URL's, else ``guest``).
        tls: use TLS (implied by ``amqps://``).
        tls_skip_verify: do not verify the server certificate.
        tls_ca_file: a CA bundle to verify the server certificate with.
        pool: the app's ``aio_pika.pool.Pool`` (of connections or channels) or aio-pika
            connection (pool mode), or a zero-argument callable returning one.
        client: the same as ``pool``, for those who call a connection a client.
    """
    return AMQP_KIND.declare(name, options)
