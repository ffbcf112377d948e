"""Checks through Django's own connections, against the real PostgreSQL and Redis."""

from __future__ import annotations

import copy
import socket
import threading

import pytest
from django.conf import settings
from django.test import override_settings
from djtest_support import database_settings, pg_connections

from dephealth_django import get_dependency_health
from tests.support.ports import free_port

pytestmark = pytest.mark.usefixtures("postgres_dsn", "redis_url")


def _databases(app_name: str, **changes: object) -> dict[str, object]:
    databases = copy.deepcopy(settings.DATABASES)
    default = databases["default"]
    default["OPTIONS"] = {**default["OPTIONS"], "application_name": app_name}
    for key, value in changes.items():
        if key == "OPTIONS":
            default["OPTIONS"].update(value)
        else:
            default[key] = value
    return databases


def _details(rounds: int = 1) -> dict[str, tuple[bool | None, str]]:
    engine = get_dependency_health()
    result = {}
    for _ in range(rounds):
        result = engine.check_now_background()
    return {key.split(":")[0]: (status.healthy, status.detail) for key, status in result.items()}


def test_database_and_cache_are_healthy() -> None:
    """With PostgreSQL and Redis up, both discovered checks report ok."""
    assert _details() == {"db-default": (True, "ok"), "cache-default": (True, "ok")}


def test_persistent_connection_count_stays_at_one_over_hundreds_of_checks(app_name: str) -> None:
    """With CONN_MAX_AGE=60 the checker keeps exactly one connection, however many checks run."""
    with database_settings(_databases(app_name, CONN_MAX_AGE=60)):
        assert _details(rounds=300)["db-default"] == (True, "ok")
        assert pg_connections(app_name) == 1


def test_conn_max_age_zero_closes_after_each_check(app_name: str) -> None:
    """With CONN_MAX_AGE=0 no checker connection stays open between checks."""
    with database_settings(_databases(app_name, CONN_MAX_AGE=0)):
        assert _details(rounds=20)["db-default"] == (True, "ok")
        assert pg_connections(app_name) == 0


def test_django_pool_option_is_borrowed_from_and_reported(app_name: str) -> None:
    """With OPTIONS["pool"] the check borrows from Django's pool and gives the connection back."""
    databases = _databases(
        app_name, CONN_MAX_AGE=0, OPTIONS={"pool": {"min_size": 1, "max_size": 2}}
    )
    with database_settings(databases):
        details = get_dependency_health().check_now_background()
        for _ in range(50):
            details = get_dependency_health().check_now_background()
        status = details["db-default:127.0.0.1:5432"]
        assert (status.healthy, status.detail) == (True, "ok")
        assert status.pool is not None
        assert status.pool.in_use == 0
        assert status.pool.max == 2
        assert pg_connections(app_name) <= 2
        from django.db import connections

        connections["default"].close_pool()


def test_checks_of_an_alias_run_in_one_thread() -> None:
    """Every check of an alias runs in the same dedicated thread, whatever the engine does."""
    _details(rounds=5)
    names = [t.name for t in threading.enumerate() if t.name.startswith("dephealth-db-default")]
    assert len(names) == 1


def test_refused_database_port_is_connection_refused(app_name: str) -> None:
    """A database nobody listens for reads connection_refused."""
    with database_settings(_databases(app_name, PORT=str(free_port()))):
        assert _details()["db-default"] == (False, "connection_refused")


def test_unknown_role_is_auth_error(app_name: str) -> None:
    """A role PostgreSQL does not know reads auth_error, and the password is not shown."""
    with database_settings(_databases(app_name, USER="no_such_role_dephealth")):
        engine = get_dependency_health()
        details = engine.check_now_background()
        status = details["db-default:127.0.0.1:5432"]
        assert (status.healthy, status.detail) == (False, "auth_error")
        assert "not-a-real-secret" not in repr(status)


def test_refused_redis_is_connection_refused() -> None:
    """A Redis cache nobody listens for reads connection_refused."""
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = f"redis://127.0.0.1:{free_port()}/0"
    with override_settings(CACHES=caches):
        assert _details()["cache-default"] == (False, "connection_refused")


def test_django_redis_cache_is_checked_through_its_client() -> None:
    """A django-redis cache alias is discovered and pinged through its own client."""
    caches = copy.deepcopy(settings.CACHES)
    caches["default"] = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/15",
    }
    with override_settings(CACHES=caches):
        assert _details()["cache-default"] == (True, "ok")


def test_stop_closes_the_checker_connection(app_name: str) -> None:
    """Stopping the checks closes the alias's checker connection: nothing leaks."""
    with database_settings(_databases(app_name, CONN_MAX_AGE=None)):
        engine = get_dependency_health()
        engine.start_background()
        engine.check_now_background()
        assert pg_connections(app_name) == 1
        engine.stop_background()
        assert pg_connections(app_name) == 0


def test_database_that_never_answers_times_out_without_piling_up(app_name: str) -> None:
    """A database that accepts but never answers reads timeout; checks never pile up."""
    black_hole = socket.socket()
    black_hole.bind(("127.0.0.1", 0))
    black_hole.listen(8)  # the kernel accepts; nobody ever answers
    port = str(black_hole.getsockname()[1])
    quick = {**settings.DEPHEALTH, "timeout": 0.3}
    with database_settings(_databases(app_name, PORT=port)), override_settings(DEPHEALTH=quick):
        try:
            engine = get_dependency_health()
            for _ in range(3):
                status = engine.check_now_background()["db-default:127.0.0.1:" + port]
                assert (status.healthy, status.detail) == (False, "timeout")
            threads = [t for t in threading.enumerate() if t.name == "dephealth-db-default"]
            assert len(threads) == 1
        finally:
            black_hole.close()  # the stuck connect fails, the thread is free again


def test_a_pool_held_full_is_pool_exhausted(app_name: str) -> None:
    """When every connection of Django's pool is taken, the check reads pool_exhausted."""
    databases = _databases(
        app_name, CONN_MAX_AGE=0, OPTIONS={"pool": {"min_size": 0, "max_size": 1}}
    )
    quick = {**settings.DEPHEALTH, "timeout": 0.5}
    with database_settings(databases), override_settings(DEPHEALTH=quick):
        from django.db import connections

        pool = connections["default"].pool
        pool.open()
        try:
            with pool.connection():  # the application holds the only connection
                status = get_dependency_health().check_now_background()["db-default:127.0.0.1:5432"]
                assert (status.healthy, status.detail) == (False, "pool_exhausted")
            status = get_dependency_health().check_now_background()["db-default:127.0.0.1:5432"]
            assert (status.healthy, status.detail) == (True, "ok")
        finally:
            connections["default"].close_pool()
