"""Pools and clients handed to checks: lazy references resolved in the app's context."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest
from flask import Flask, current_app

from dephealth_core import Dependency, Endpoint, Kind, Target
from dephealth_flask import DepHealth

from .conftest import ProbePool, probe_check, wait_for_status

AppFactory = Callable[..., Flask]


def test_lazy_pool_is_resolved_inside_the_app_context(make_app: AppFactory, listener: int) -> None:
    """A lambda that needs current_app resolves when checks start, and checks borrow from it."""
    app = make_app(DEPHEALTH_NAME="svc", DEPHEALTH_GROUP="team")
    app.extensions["probe_pool"] = ProbePool(listener)
    resolved: list[str] = []

    def pool() -> ProbePool:
        resolved.append(current_app.name)
        found: ProbePool = current_app.extensions["probe_pool"]
        return found

    DepHealth(app, probe_check("db", pool=pool))
    assert resolved == []
    wait_for_status(app.test_client(), "/readyz", 200)
    assert resolved == [app.name]
    assert app.extensions["probe_pool"].borrowed >= 1


def test_each_app_resolves_its_own_pool(make_app: AppFactory, listener: int) -> None:
    """One extension declared at import time checks each app's own pool."""
    dephealth = DepHealth(None, probe_check("db", pool=lambda: current_app.extensions["pool"]))
    apps = []
    for name in ("first", "second"):
        app = make_app(DEPHEALTH_NAME=name, DEPHEALTH_GROUP="team")
        app.extensions["pool"] = ProbePool(listener)
        dephealth.init_app(app)
        apps.append(app)
    for app in apps:
        wait_for_status(app.test_client(), "/readyz", 200)
        assert app.extensions["pool"].borrowed >= 1


def test_a_pool_given_directly_is_used_as_is(make_app: AppFactory, listener: int) -> None:
    """A pool object passed directly needs no app context and is the one checks borrow from."""
    pool = ProbePool(listener)
    app = make_app(DEPHEALTH_NAME="svc", DEPHEALTH_GROUP="team")
    DepHealth(app, probe_check("db", pool=pool))
    wait_for_status(app.test_client(), "/readyz", 200)
    assert pool.borrowed >= 1


# -- Flask-SQLAlchemy ----------------------------------------------------------------------


class EngineChecker:
    """Runs SELECT 1 on a connection borrowed from a SQLAlchemy engine's pool."""

    def __init__(self, engine: object) -> None:
        self.engine = engine

    def check(self, endpoint: Endpoint) -> None:
        from sqlalchemy import text

        with self.engine.connect() as connection:  # type: ignore[attr-defined]
            connection.execute(text("SELECT 1"))


def _engine_hosts(dependency: Dependency, engine: object) -> list[tuple[str, str]]:
    url = engine.url  # type: ignore[attr-defined]
    return [(url.host, str(url.port))]


def _is_engine(value: object) -> bool:
    from sqlalchemy.engine import Engine

    return isinstance(value, Engine)


def _engine_checker(dependency: Dependency, target: Target) -> EngineChecker:
    return EngineChecker(target.source)


ENGINE_KIND = Kind(
    type="sql-probe",
    default_port=None,
    make_checker=_engine_checker,
    source_hosts=_engine_hosts,
    is_source=_is_engine,
)


@pytest.fixture
def postgres_url() -> str:
    """The machine's PostgreSQL, through SQLAlchemy and psycopg."""
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            pass
    except OSError:
        pytest.skip("PostgreSQL does not listen on 127.0.0.1:5432")
    return "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.mark.postgres
def test_flask_sqlalchemy_db_stands_for_its_engine(make_app: AppFactory, postgres_url: str) -> None:
    """pool=db (Flask-SQLAlchemy) checks through db.engine, resolved in the app's context."""
    from flask_sqlalchemy import SQLAlchemy

    db = SQLAlchemy()
    app = make_app(
        DEPHEALTH_NAME="svc", DEPHEALTH_GROUP="team", SQLALCHEMY_DATABASE_URI=postgres_url
    )
    db.init_app(app)
    DepHealth(app, Dependency("db", ENGINE_KIND, critical=True, source=db))
    client = app.test_client()
    wait_for_status(client, "/readyz", 200)
    with app.app_context():
        assert db.engine.pool.checkedin() >= 1  # type: ignore[attr-defined]
    key = "db:127.0.0.1:5432"
    details = app.extensions["dephealth"].engine.health_details()
    assert details[key].healthy is True
