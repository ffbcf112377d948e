"""Redis checks with redis-py: ``PING`` on a fresh connection, or through the app's client."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any, Unpack

from .._dependency import Dependency, Endpoint, EndpointOptions, Kind, Target, option_error
from .._exceptions import (
    AuthError,
    CheckError,
    CheckTimeout,
    ConnectionRefused,
    PoolExhausted,
    QueryError,
    Unhealthy,
)
from .._snapshot import PoolStats
from ._auth import TlsOptions, TlsSettings, tls_settings
from ._declaration import Expects
from ._drivers import check_timeout, import_driver, platform_error
from ._factories import declares
from ._net import refuses_connections, refuses_connections_now
from ._pool_mode import TimeoutShare

#: ``CLIENT SETNAME`` of standalone check connections, so ``CLIENT LIST`` can tell them apart.
CLIENT_NAME = "dephealth"
SUPPORTED_CLIENTS = "redis.Redis, redis.asyncio.Redis (or a zero-argument callable returning one)"


class RedisCheckOptions(EndpointOptions, TlsOptions, total=False):
    """The keywords of :func:`redis_check`."""

    db: int | str | None
    password: Annotated[str | None, Expects("a string")]
    client: Any


@dataclass(frozen=True, slots=True)
class RedisSettings:
    """What a standalone check connects with."""

    db: int
    tls: TlsSettings
    timeout: float
    username: str | None = None
    password: str | None = field(default=None, repr=False)


def redis_settings(dependency: Dependency, target: Target | None = None) -> RedisSettings:
    """Validate a Redis dependency's options; the ``db`` option wins over the URL path."""
    opts = dependency.options
    db: Any = opts.get("db")
    if db is None and target is not None and target.path.strip("/"):
        db = target.path.strip("/")
    if db is None and target is not None:
        db = target.query.get("db")
    if isinstance(db, str) and db.strip().isdecimal():
        db = int(db.strip())
    if db is None:
        db = 0
    if isinstance(db, bool) or not isinstance(db, int) or db < 0:
        raise option_error(dependency, "db", "expected a database number (0, 1, ...)")
    password = opts.get("password")
    return RedisSettings(
        db=db,
        tls=tls_settings(dependency, target, "rediss"),
        timeout=check_timeout(dependency),
        username=target.username if target is not None else None,
        password=password if password is not None else (target.password if target else None),
    )


@contextlib.contextmanager
def redis_errors() -> Iterator[None]:
    """Turn redis-py errors into classified ones: the only place that knows them."""
    from redis import exceptions as rx

    try:
        yield
    except CheckError:
        raise
    except (rx.AuthenticationError, rx.AuthorizationError, rx.NoPermissionError) as exc:
        raise AuthError("Redis rejected the credentials") from exc
    except rx.BusyLoadingError as exc:
        raise Unhealthy("Redis is loading its dataset") from exc
    except rx.TimeoutError as exc:
        raise CheckTimeout("Redis did not answer in time") from exc
    except rx.MaxConnectionsError as exc:
        raise PoolExhausted("the client's pool has no free connection") from exc
    except rx.ResponseError as exc:
        if str(exc).startswith(("NOAUTH", "WRONGPASS", "NOPERM")):
            raise AuthError("Redis rejected the credentials") from exc
        raise QueryError("Redis answered PING with an error") from exc
    except rx.ConnectionError as exc:
        if "No connection available" in str(exc):
            raise PoolExhausted("the client's pool has no free connection") from exc
        if "Invalid Database" in str(exc):
            raise QueryError("Redis refused to select the database") from exc
        raise platform_error(exc, "cannot talk to Redis", default="connection_refused") from exc


class RedisChecker:
    """Standalone mode: connects, authenticates, selects the database, PINGs, disconnects."""

    def __init__(self, settings: RedisSettings) -> None:
        self.settings = settings

    def _connection(self, endpoint: Endpoint) -> Any:
        from redis.asyncio.connection import Connection, SSLConnection

        s = self.settings
        kwargs: dict[str, Any] = {
            "host": endpoint.host,
            "port": int(endpoint.port),
            "db": s.db,
            "username": s.username,
            "password": s.password,
            "client_name": CLIENT_NAME,
            "socket_connect_timeout": s.timeout,
            "socket_timeout": s.timeout,
        }
        if not s.tls.enabled:
            return Connection(**kwargs)
        return SSLConnection(
            ssl_cert_reqs="none" if s.tls.skip_verify else "required",
            ssl_ca_certs=s.tls.ca_file,
            ssl_check_hostname=not s.tls.skip_verify,
            **kwargs,
        )

    async def check(self, endpoint: Endpoint) -> None:
        """PING ``endpoint`` on a connection of its own."""
        connection = self._connection(endpoint)
        try:
            with redis_errors():
                await connection.connect()
                await connection.send_command("PING")
                await connection.read_response()
        finally:
            # nowait: a black-holed peer must not hold up the close (or a cancellation).
            await connection.disconnect(nowait=True)


def client_pool_stats(client: Any) -> PoolStats | None:
    """Connection counts of a redis-py client's pool, when its pool keeps them."""
    pool = getattr(client, "connection_pool", None)
    idle = getattr(pool, "_available_connections", None)
    in_use = getattr(pool, "_in_use_connections", None)
    if idle is None or in_use is None:
        return None  # BlockingConnectionPool and others count differently
    limit = getattr(pool, "max_connections", None)
    return PoolStats(
        size=len(idle) + len(in_use),
        idle=len(idle),
        in_use=len(in_use),
        max=limit if isinstance(limit, int) and limit < 2**31 else None,
    )


class AsyncRedisClientChecker:
    """Pool mode for ``redis.asyncio.Redis``: ``PING`` through the client's own pool."""

    def __init__(self, client: Any, timeout: float = 5.0) -> None:
        self.client = client
        share = TimeoutShare(timeout)
        self.probe_timeout = share.probe
        self.ping_timeout = share.before_probe

    def pool_stats(self) -> PoolStats | None:
        """The client's pool counts."""
        return client_pool_stats(self.client)

    async def check(self, endpoint: Endpoint) -> None:
        """PING through the application's client."""
        try:
            async with asyncio.timeout(self.ping_timeout):
                with redis_errors():
                    await self.client.ping()
        except TimeoutError:
            # redis-py retries a refused connection with backoff (ten times by default), far
            # past a check's timeout: a server that is down would read as a timeout.
            if await refuses_connections(endpoint.host, int(endpoint.port), self.probe_timeout):
                raise ConnectionRefused("Redis refuses connections") from None
            raise CheckTimeout("Redis did not answer in time") from None


class SyncRedisClientChecker:
    """Pool mode for ``redis.Redis``: a blocking ``PING``, run in the engine's thread pool."""

    def __init__(self, client: Any, timeout: float = 5.0) -> None:
        self.client = client
        self.probe_timeout = TimeoutShare(timeout).probe
        self._failing = False

    def pool_stats(self) -> PoolStats | None:
        """The client's pool counts."""
        return client_pool_stats(self.client)

    def check(self, endpoint: Endpoint) -> None:
        """PING through the application's client."""
        # redis-py retries a refused connection with backoff, far past a check's timeout, and
        # a blocking call cannot be cut short: once a check has not succeeded, ask first
        # whether the server refuses connections at all.
        failing, self._failing = self._failing, True
        if failing and refuses_connections_now(
            endpoint.host, int(endpoint.port), self.probe_timeout
        ):
            raise ConnectionRefused("Redis refuses connections")
        with redis_errors():
            self.client.ping()
        self._failing = False


def _client_kind(source: Any) -> str | None:
    try:
        import redis
        import redis.asyncio
    except ImportError:
        return None
    if isinstance(source, redis.asyncio.Redis):
        return "async"
    if isinstance(source, redis.Redis):
        return "sync"
    return None


def _source_hosts(dependency: Dependency, source: Any) -> list[tuple[str, str]]:
    kwargs = source.connection_pool.connection_kwargs
    host = kwargs.get("host") or kwargs.get("path") or "localhost"
    return [(str(host), str(kwargs.get("port", 6379)))]


def _make_checker(dependency: Dependency, target: Target) -> Any:
    import_driver("redis.asyncio", extra="redis", kind="Redis")
    if target.source is None:
        return RedisChecker(redis_settings(dependency, target))
    kind = _client_kind(target.source)
    if kind == "async":
        return AsyncRedisClientChecker(target.source, check_timeout(dependency))
    return SyncRedisClientChecker(target.source, check_timeout(dependency))


REDIS_KIND = Kind(
    type="redis",
    default_port=6379,
    make_checker=_make_checker,
    settings=redis_settings,
    source_hosts=_source_hosts,
    is_source=lambda source: _client_kind(source) is not None,
    supported_sources=SUPPORTED_CLIENTS,
    source_field="client",
    declaration=RedisCheckOptions,
)


@declares(REDIS_KIND)
def redis_check(name: str, **options: Unpack[RedisCheckOptions]) -> Dependency:
    """Declare a Redis dependency, healthy when it answers ``PING``.

    Args:
        url: ``redis://[:password@]host[:port][/db]`` (``rediss://`` for TLS).
        db: the database number (default: the URL path, else 0).
        password: the password (default: the one in the URL).
        tls: use TLS (implied by ``rediss://``).
        tls_skip_verify: do not verify the server certificate.
        tls_ca_file: a CA bundle to verify the server certificate with.
        client: the app's ``redis.Redis`` or ``redis.asyncio.Redis`` (pool mode), or a
            zero-argument callable returning one; the address is read from it when no
            ``url``/``host`` is given.
    """
    return REDIS_KIND.declare(name, options)
