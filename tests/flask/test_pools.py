"""The app's own pools and clients checked in pool mode: Flask-SQLAlchemy, psycopg, redis, ldap3."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask, current_app

from dephealth_core import ldap_check, postgres_check, redis_check
from dephealth_flask import DepHealth

from ._processes import SlapdServer
from .conftest import wait_for_status

AppFactory = Callable[..., Flask]
IN_CI = os.environ.get("CI", "").strip().lower() == "true"


def _require(port: int, what: str) -> None:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return
    except OSError:
        message = f"{what} does not listen on 127.0.0.1:{port}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def postgres_url() -> str:
    """The machine's PostgreSQL (trust authentication), as a SQLAlchemy URL."""
    _require(5432, "PostgreSQL")
    return "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def shared_redis() -> int:
    """The machine's Redis port (only PING is sent to it)."""
    _require(6379, "Redis")
    return 6379


@pytest.fixture(scope="module")
def slapd() -> Iterator[SlapdServer]:
    """A private OpenLDAP server."""
    server = SlapdServer()
    server.start()
    yield server
    server.close()


def _details(app: Flask) -> dict[str, Any]:
    details: dict[str, Any] = app.extensions["dephealth"].engine.health_details()
    return details


@pytest.mark.postgres
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


@pytest.mark.postgres
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


@pytest.mark.redis
def test_redis_client_of_the_app_is_checked(make_app: AppFactory, shared_redis: int) -> None:
    """redis_check(client=lambda: ...) pings through the app's own redis.Redis client."""
    import redis

    app = make_app(DEPHEALTH_NAME="svc", DEPHEALTH_GROUP="team")
    client = redis.Redis(host="127.0.0.1", port=shared_redis)
    app.extensions["redis"] = client
    DepHealth(
        app,
        redis_check("redis-cache", client=lambda: current_app.extensions["redis"], critical=True),
    )
    try:
        wait_for_status(app.test_client(), "/readyz", 200)
        assert _details(app)[f"redis-cache:127.0.0.1:{shared_redis}"].healthy is True
    finally:
        app.extensions["dephealth"].stop()
        client.close()


@pytest.mark.ldap
def test_ldap3_connection_of_the_app_is_checked(make_app: AppFactory, slapd: SlapdServer) -> None:
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
