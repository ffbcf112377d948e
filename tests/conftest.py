"""Root fixtures: the machine's shared servers, private servers, fault proxies.

Infrastructure only; feature fixtures belong in the conftest of their own folder.

A test that uses a backend fixture gets that backend's marker (``postgres``, ``mysql``, ``redis``,
``ldap``, ``amqp``, ``kafka``), so ``pytest -m redis`` selects it and ``-m "not kafka"`` drops it.
A fixture built on top of one of these inherits the marker too.

A server that is missing makes its tests skip locally, with how to start it (``scripts/servers``).
Under ``CI=true`` it fails them instead: CI never goes green by skipping.
"""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, NoReturn

import pytest

from tests.support.fault_proxy import FaultProxy, ThreadedFaultProxy
from tests.support.servers import (
    KafkaBroker,
    PrivatePostgres,
    PrivateRedis,
    PrivateSlapd,
    ServerNotInstalled,
)
from tests.support.stubs import StubBehaviour, TcpStubServer

SHARED_POSTGRES_DSN = "postgresql://postgres@127.0.0.1:5432/test"
SHARED_MYSQL_PARAMS: dict[str, Any] = {
    "host": "127.0.0.1",
    "port": 3306,
    "user": "root",
    "password": "",
    "db": "test",
}
SHARED_REDIS_URL = "redis://127.0.0.1:6379/0"
SHARED_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"

# Fixture name -> marker; a test using the fixture, directly or through another, gets the marker.
FIXTURE_MARKERS: dict[str, str] = {
    "postgres_dsn": "postgres",
    "private_postgres": "postgres",
    "mysql_params": "mysql",
    "redis_url": "redis",
    "private_redis": "redis",
    "amqp_url": "amqp",
    "slapd": "ldap",
    "kafka_broker": "kafka",
}

IN_CI = os.environ.get("CI", "").strip().lower() == "true"


def server_unavailable(reason: str) -> NoReturn:
    """Skip the test locally, fail it under CI=true: a missing server must never pass silently."""
    message = f"{reason}; run scripts/servers to install and start the test servers"
    if IN_CI:
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # tryfirst: the markers must be on the items before -m deselects by them.
    for item in items:
        for fixture_name in getattr(item, "fixturenames", ()):
            marker = FIXTURE_MARKERS.get(fixture_name)
            if marker is not None and item.get_closest_marker(marker) is None:
                item.add_marker(marker)


# -- shared servers of the machine ---------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_dsn() -> str:
    """DSN of the machine's PostgreSQL (trust auth, database ``test``), checked with SELECT 1."""
    try:
        import psycopg
    except ImportError:
        server_unavailable("psycopg is not installed (needed to probe PostgreSQL)")
    try:
        with psycopg.connect(SHARED_POSTGRES_DSN, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        server_unavailable(f"PostgreSQL at 127.0.0.1:5432 does not answer ({exc})")
    return SHARED_POSTGRES_DSN


@pytest.fixture(scope="session")
def mysql_params() -> dict[str, Any]:
    """Connection keywords (aiomysql/PyMySQL style) for the machine's MariaDB, checked."""
    try:
        import pymysql
    except ImportError:
        server_unavailable("PyMySQL is not installed (needed to probe MariaDB)")
    try:
        params = {k: v for k, v in SHARED_MYSQL_PARAMS.items() if k != "db"}
        conn = pymysql.connect(**params, database=SHARED_MYSQL_PARAMS["db"], connect_timeout=3)
        conn.close()
    except pymysql.Error as exc:
        server_unavailable(f"MariaDB at 127.0.0.1:3306 does not answer ({exc})")
    return dict(SHARED_MYSQL_PARAMS)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of the machine's Redis (db 0, shared: use unique keys), checked with PING."""
    try:
        import redis
    except ImportError:
        server_unavailable("redis-py is not installed (needed to probe Redis)")
    client = redis.Redis.from_url(SHARED_REDIS_URL, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        server_unavailable(f"Redis at 127.0.0.1:6379 does not answer ({exc})")
    finally:
        client.close()
    return SHARED_REDIS_URL


@pytest.fixture(scope="session")
def amqp_url() -> str:
    """URL of the machine's RabbitMQ (guest/guest), checked with an AMQP 0-9-1 greeting."""
    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=3) as sock:
            sock.sendall(b"AMQP\x00\x00\x09\x01")
            answer = sock.recv(1)
    except OSError as exc:
        server_unavailable(f"RabbitMQ at 127.0.0.1:5672 does not answer ({exc})")
    if answer != b"\x01":  # a method frame: connection.start
        server_unavailable("RabbitMQ at 127.0.0.1:5672 does not speak AMQP 0-9-1")
    return SHARED_AMQP_URL


# -- private servers ---------------------------------------------------------------------------


@pytest.fixture
def private_redis() -> Iterator[Callable[..., PrivateRedis]]:
    """Factory: ``private_redis(password=None)`` starts a redis-server of the test's own.

    Each is stopped and cleaned at the end of the test.
    """
    started: list[PrivateRedis] = []

    def start(password: str | None = None) -> PrivateRedis:
        try:
            server = PrivateRedis(password)
        except ServerNotInstalled as exc:
            server_unavailable(str(exc))
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.close()


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL of the session's own, with password auth (~1 s to set up).

    Shared by the session: a test that stops it uses ``with private_postgres.stopped():``, which
    starts it again even when the test fails.
    """
    try:
        server = PrivatePostgres()
    except ServerNotInstalled as exc:
        server_unavailable(str(exc))
    with server:
        yield server


@pytest.fixture(scope="session")
def slapd() -> Iterator[PrivateSlapd]:
    """An OpenLDAP server of the session's own (ldap:// and ldaps:// listeners)."""
    try:
        server = PrivateSlapd()
    except ServerNotInstalled as exc:
        server_unavailable(str(exc))
    with server:
        yield server


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[KafkaBroker]:
    """A Kafka-protocol broker (Tansu, in memory) of the session's own."""
    try:
        server = KafkaBroker()
    except ServerNotInstalled as exc:
        server_unavailable(str(exc))
    with server:
        yield server


# -- faults and stubs ------------------------------------------------------------------------


@pytest.fixture
async def fault_proxy() -> AsyncIterator[Callable[..., Awaitable[FaultProxy]]]:
    """Factory: ``await fault_proxy(host, port)`` gives a started ``FaultProxy`` on this loop.

    All are closed at the end of the test.
    """
    proxies: list[FaultProxy] = []

    async def start(upstream_host: str, upstream_port: int, **options: Any) -> FaultProxy:
        proxy = FaultProxy(upstream_host, upstream_port, **options)
        proxies.append(proxy)
        return await proxy.start()

    yield start
    for proxy in proxies:
        await proxy.aclose()


@pytest.fixture
def threaded_fault_proxy() -> Iterator[Callable[..., ThreadedFaultProxy]]:
    """Factory: ``threaded_fault_proxy(host, port)`` gives a started ``ThreadedFaultProxy``."""
    proxies: list[ThreadedFaultProxy] = []

    def start(upstream_host: str, upstream_port: int, **options: Any) -> ThreadedFaultProxy:
        proxy = ThreadedFaultProxy(upstream_host, upstream_port, **options)
        proxies.append(proxy)
        return proxy.start()

    yield start
    for proxy in proxies:
        proxy.close()


@pytest.fixture
def tcp_stub() -> Iterator[Callable[..., TcpStubServer]]:
    """Factory: ``tcp_stub("close" | "echo" | "hold")`` gives a started ``TcpStubServer``."""
    stubs: list[TcpStubServer] = []

    def start(behaviour: StubBehaviour = "close") -> TcpStubServer:
        stub = TcpStubServer(behaviour)
        stubs.append(stub)
        return stub.start()

    yield start
    for stub in stubs:
        stub.stop()
