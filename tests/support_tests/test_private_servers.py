"""Each private server starts, answers a real client, stops and comes back on the same port."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import Callable, Iterator

import asyncpg
import ldap3
import pytest
import redis
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.support.servers import KafkaBroker, PrivatePostgres, PrivateRedis, PrivateSlapd
from tests.support.tls import tls_material


def assert_refused(host: str, port: int) -> None:
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, port), timeout=2).close()


# -- Redis ---------------------------------------------------------------------------------


def test_private_redis_answers_ping(private_redis: Callable[..., PrivateRedis]) -> None:
    """A private Redis without a password answers PING at its URL."""
    server = private_redis()
    with redis.Redis.from_url(server.url) as client:
        assert client.ping() is True


def test_private_redis_with_password(private_redis: Callable[..., PrivateRedis]) -> None:
    """With a password, the right one works and a missing or wrong one is an auth error."""
    server = private_redis(password="s3cret")
    with redis.Redis.from_url(server.url) as client:
        assert client.ping() is True
    # redis-py retries failed commands with backoff by default (seconds); no retry here.
    no_retry = Retry(NoBackoff(), 0)
    for password in (None, "wrong"):
        client = redis.Redis(host=server.host, port=server.port, password=password, retry=no_retry)
        with client, pytest.raises(redis.AuthenticationError):
            client.ping()


def test_private_redis_stops_and_restarts(private_redis: Callable[..., PrivateRedis]) -> None:
    """A stopped Redis refuses connections; after start() it answers on the same port."""
    server = private_redis()
    port = server.port
    server.stop()
    assert_refused(server.host, port)
    server.start()
    assert server.port == port
    with redis.Redis.from_url(server.url) as client:
        assert client.ping() is True


# -- PostgreSQL --------------------------------------------------------------------------------


async def test_private_postgres_password_auth(private_postgres: PrivatePostgres) -> None:
    """The right password connects to the database; a wrong one raises InvalidPasswordError."""
    conn = await asyncpg.connect(private_postgres.dsn)
    try:
        assert await conn.fetchval("SELECT current_database()") == private_postgres.database
        assert await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    finally:
        await conn.close()
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(
            host=private_postgres.host,
            port=private_postgres.port,
            user=private_postgres.user,
            password="wrong",
            database=private_postgres.database,
        )


async def test_private_postgres_stops_and_restarts_with_its_data(
    private_postgres: PrivatePostgres,
) -> None:
    """While stopped() the port refuses; afterwards the same port serves the same data."""
    conn = await asyncpg.connect(private_postgres.dsn)
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS survives (x int); INSERT INTO survives VALUES (1)"
    )
    await conn.close()
    port = private_postgres.port

    with private_postgres.stopped():
        assert not private_postgres.running
        with pytest.raises(OSError):
            await asyncpg.connect(private_postgres.dsn, timeout=2)
        assert_refused(private_postgres.host, port)

    assert private_postgres.port == port
    conn = await asyncpg.connect(private_postgres.dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM survives") >= 1
    finally:
        await conn.close()


# -- OpenLDAP ----------------------------------------------------------------------------------


@contextlib.contextmanager
def ldap_bound(
    server: ldap3.Server, user: str | None = None, password: str | None = None
) -> Iterator[ldap3.Connection]:
    # ldap3's own "with Connection(...)" leaves an auto-bound connection open on exit.
    conn = ldap3.Connection(server, user, password, auto_bind=True)
    try:
        yield conn
    finally:
        conn.unbind()


def test_slapd_admin_and_user_bind(slapd: PrivateSlapd) -> None:
    """The admin and alice bind with their passwords; a wrong password is invalidCredentials."""
    server = ldap3.Server(slapd.url, connect_timeout=2)
    with ldap_bound(server, slapd.admin_dn, slapd.admin_password) as conn:
        assert conn.extend.standard.who_am_i() == f"dn:{slapd.admin_dn}"
        conn.search(slapd.people_dn, "(uid=alice)", attributes=["cn"])
        assert [str(entry.cn) for entry in conn.entries] == ["Alice"]
    with ldap_bound(server, slapd.user_dn, slapd.user_password) as conn:
        assert conn.bound
    conn = ldap3.Connection(server, slapd.admin_dn, "wrong")
    try:
        assert conn.bind() is False
        assert conn.result["description"] == "invalidCredentials"
    finally:
        conn.unbind()


def test_slapd_anonymous_root_dse(slapd: PrivateSlapd) -> None:
    """An anonymous client reads the root DSE, which names the suffix."""
    server = ldap3.Server(slapd.url, get_info=ldap3.DSA, connect_timeout=2)
    with ldap_bound(server) as conn:
        assert conn.search("", "(objectClass=*)", search_scope=ldap3.BASE, attributes=["+"])
        assert slapd.suffix in server.info.naming_contexts


def test_slapd_ldaps_with_the_test_ca(slapd: PrivateSlapd) -> None:
    """The ldaps:// listener presents a certificate that the test CA validates."""
    tls = ldap3.Tls(ca_certs_file=str(tls_material().ca_pem), validate=ssl.CERT_REQUIRED)
    server = ldap3.Server(slapd.ldaps_url, use_ssl=True, tls=tls, connect_timeout=2)
    with ldap_bound(server, slapd.admin_dn, slapd.admin_password) as conn:
        assert conn.bound


def test_slapd_stops_and_restarts(slapd: PrivateSlapd) -> None:
    """While stopped() both listeners refuse; afterwards binds work on the same ports."""
    ports = (slapd.port, slapd.ldaps_port)
    with slapd.stopped():
        assert_refused(slapd.host, slapd.port)
        assert slapd.ldaps_port is not None
        assert_refused(slapd.host, slapd.ldaps_port)
    assert (slapd.port, slapd.ldaps_port) == ports
    server = ldap3.Server(slapd.url, connect_timeout=2)
    with ldap_bound(server, slapd.admin_dn, slapd.admin_password) as conn:
        assert conn.bound


# -- Kafka ---------------------------------------------------------------------------------


async def describe_brokers(bootstrap: str) -> list[tuple[str, int]]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    await admin.start()
    try:
        cluster = await admin.describe_cluster()
    finally:
        await admin.close()
    return [(broker["host"], broker["port"]) for broker in cluster["brokers"]]


async def test_kafka_broker_metadata_and_produce(kafka_broker: KafkaBroker) -> None:
    """aiokafka sees the broker in the cluster metadata and can produce to it."""
    assert await describe_brokers(kafka_broker.bootstrap_servers) == [
        (kafka_broker.host, kafka_broker.port)
    ]
    producer = AIOKafkaProducer(bootstrap_servers=kafka_broker.bootstrap_servers)
    await producer.start()
    try:
        record = await asyncio.wait_for(producer.send_and_wait("dephealth-infra", b"hi"), 10)
        assert record.offset >= 0
    finally:
        await producer.stop()


async def test_kafka_broker_stops_and_restarts(kafka_broker: KafkaBroker) -> None:
    """While stopped() the broker refuses; afterwards metadata works on the same port."""
    port = kafka_broker.port
    with kafka_broker.stopped():
        assert_refused(kafka_broker.host, port)
    assert kafka_broker.port == port
    assert await describe_brokers(kafka_broker.bootstrap_servers) == [(kafka_broker.host, port)]
