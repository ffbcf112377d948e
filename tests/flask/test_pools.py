"""The app's own pools and clients checked in pool mode: Flask-SQLAlchemy, psycopg, redis, ldap3."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, current_app

from dephealth_core import ldap_check, postgres_check, redis_check
from dephealth_flask import DepHealth
from tests.support.servers import PrivateSlapd

from .conftest import wait_for_status

AppFactory = Callable[..., Flask]


@pytest.fixture
def postgres_url(postgres_dsn: str) -> str:
    """The machine's PostgreSQL (trust authentication), as a SQLAlchemy URL."""
    return postgres_dsn.replace("postgresql://", "postgresql+psycopg://", 1)


def _details(app: Flask) -> dict[str, Any]:
    details: dict[str, Any] = app.extensions["dephealth"].engine.health_details()
    return details


@pytest.mark.parametrize("given", ["db", "lambda"], ids=["db-object", "lambda-db-engine"])
def test_flask_sqlalchemy_engine_is_checked_through_its_pool(
    make_app: AppFactory, postgres_url: str, given: str
) -> None:
    """postgres_check(pool=db) or pool=lambda: db.engine borrows from Flask-SQLAlchemy's pool."""
    from flask_sqlalchemy import SQLAlchemy

    db = SQLAlchemy()
    app = make_app(
        DEPHEALTH_NAME="svc", DEPHEALTH_GROUP="team", SQLALCHEMY_DATABASE_URI=postgres_url
    )
    db.init_app(app)
    pool: Any = db if given == "db" else (lambda: db.engine)
    DepHealth(app, postgres_check("postgres-main", pool=pool, critical=True))
    wait_for_status(app.test_client(), "/readyz", 200)
    status = _details(app)["postgres-main:127.0.0.1:5432"]
    assert (status.healthy, status.type) == (True, "postgres")
    with app.app_context():
        assert db.engine.pool.checkedout() == 0  # the check gave its connection back


def test_psycopg_pool_built_by_the_app_is_checked(make_app: AppFactory, postgres_url: str) -> None:
    """A psycopg ConnectionPool the app builds later is found through a lazy reference."""
    from psycopg_pool import ConnectionPool

    app = make_app(DEPHEALTH_NAME="svc", DEPHEALTH_GROUP="team")
    DepHealth(
        app,
        postgres_check(
            "postgres-main", pool=lambda: current_app.extensions["pg_pool"], critical=True
        ),
    )
    pool = ConnectionPool(
        "host=127.0.0.1 port=5432 user=postgres dbname=test", min_size=1, max_size=2, open=True
    )
    try:
        app.extensions["pg_pool"] = pool
        wait_for_status(app.test_client(), "/readyz", 200)
        status = _details(app)["postgres-main:127.0.0.1:5432"]
        assert status.healthy is True
        assert status.pool is not None and status.pool.max == 2
    finally:
        app.extensions["dephealth"].stop()
        pool.close()


def test_redis_client_of_the_app_is_checked(make_app: AppFactory, redis_url: str) -> None:
    """redis_check(client=lambda: ...) pings through the app's own redis.Redis client."""
    import redis

    app = make_app(DEPHEALTH_NAME="svc", DEPHEALTH_GROUP="team")
    client = redis.Redis.from_url(redis_url)
    app.extensions["redis"] = client
    DepHealth(
        app,
        redis_check("redis-cache", client=lambda: current_app.extensions["redis"], critical=True),
    )
    try:
        wait_for_status(app.test_client(), "/readyz", 200)
        assert _details(app)["redis-cache:127.0.0.1:6379"].healthy is True
    finally:
        app.extensions["dephealth"].stop()
        client.close()


def test_ldap3_connection_of_the_app_is_checked(make_app: AppFactory, slapd: PrivateSlapd) -> None:
    """ldap_check(client=lambda: ...) reads the root DSE through the app's ldap3 Connection."""
    import ldap3

    app = make_app(DEPHEALTH_NAME="svc", DEPHEALTH_GROUP="team")
    server = ldap3.Server("127.0.0.1", port=slapd.port, get_info=ldap3.NONE)
    app.extensions["ldap"] = ldap3.Connection(
        server, client_strategy=ldap3.SAFE_SYNC, auto_bind=True
    )
    DepHealth(
        app,
        ldap_check(
            "directory",
            client=lambda: current_app.extensions["ldap"],
            check_method="ROOT_DSE",
            critical=True,
        ),
    )
    try:
        wait_for_status(app.test_client(), "/readyz", 200)
        assert _details(app)[f"directory:127.0.0.1:{slapd.port}"].healthy is True
    finally:
        app.extensions["dephealth"].stop()
        app.extensions["ldap"].unbind()
