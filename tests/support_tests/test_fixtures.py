"""Root fixtures: shared servers answer, markers follow fixtures, CI turns skips into failures."""

from __future__ import annotations

from typing import Any

import aio_pika
import aiomysql
import asyncpg
import pytest
import redis.asyncio

from tests import conftest


async def test_postgres_dsn_connects(postgres_dsn: str) -> None:
    """postgres_dsn reaches the machine's PostgreSQL."""
    conn = await asyncpg.connect(postgres_dsn)
    try:
        assert await conn.fetchval("SELECT 1") == 1
    finally:
        await conn.close()


async def test_mysql_params_connect(mysql_params: dict[str, Any]) -> None:
    """mysql_params are aiomysql keywords that reach the machine's MariaDB."""
    conn = await aiomysql.connect(**mysql_params)
    try:
        async with conn.cursor() as cur:
            await cur.execute("SELECT 1")
            assert await cur.fetchone() == (1,)
    finally:
        conn.close()


async def test_redis_url_connects(redis_url: str) -> None:
    """redis_url reaches the machine's Redis."""
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        assert await client.ping() is True
    finally:
        await client.aclose()


async def test_amqp_url_connects(amqp_url: str) -> None:
    """amqp_url reaches the machine's RabbitMQ with aio-pika."""
    connection = await aio_pika.connect(amqp_url, timeout=5)
    await connection.close()


def test_backend_fixture_adds_its_marker(redis_url: str, request: pytest.FixtureRequest) -> None:
    """A test that uses redis_url is marked redis, so -m redis selects it."""
    assert request.node.get_closest_marker("redis") is not None
    assert request.node.get_closest_marker("postgres") is None


def test_missing_server_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside CI a missing server skips, and the reason says how to start it."""
    monkeypatch.setattr(conftest, "IN_CI", False)
    with pytest.raises(pytest.skip.Exception, match="scripts/servers"):
        conftest.server_unavailable("Redis at 127.0.0.1:6379 does not answer")


def test_missing_server_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under CI=true a missing server fails the test instead of skipping it."""
    monkeypatch.setattr(conftest, "IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        conftest.server_unavailable("Redis at 127.0.0.1:6379 does not answer")
