"""DEPHEALTH settings: parsing, discovery and the system checks of ``manage.py check``."""

from __future__ import annotations

import logging

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from dephealth_core import ConfigError
from dephealth_django import cache_check, database_check, get_dependency_health
from dephealth_django._runtime import build_runtime
from dephealth_django._settings import read_options
from dephealth_django.checks import check_settings


def test_discovers_postgres_and_redis_with_addresses_from_settings() -> None:
    """DATABASES and CACHES entries on PostgreSQL and Redis become checked dependencies."""
    engine = get_dependency_health()
    found = {d.name: (d.type, d.critical, d.resolve_target().hosts) for d in engine.dependencies}
    assert found == {
        "db-default": ("postgres", True, (("127.0.0.1", "5432"),)),
        "cache-default": ("redis", True, (("127.0.0.1", "6379"),)),
    }


def test_sqlite_and_locmem_are_skipped_with_one_info_line(caplog: pytest.LogCaptureFixture) -> None:
    """Other engines and backends are not checked, and the log says so once each."""
    from dephealth_django import _discovery

    _discovery._skips_logged.clear()
    with caplog.at_level(logging.INFO, logger="dephealth"):
        build_runtime(metrics=False).close_checkers()
        build_runtime(metrics=False).close_checkers()
    skipped = [r.getMessage() for r in caplog.records if "is not checked" in r.getMessage()]
    assert len(skipped) == 2
    assert any("'local'" in line and "sqlite3" in line for line in skipped)
    assert any("'local'" in line and "LocMemCache" in line for line in skipped)


@override_settings(
    DEPHEALTH={
        "name": "svc",
        "group": "team",
        "discover": {"databases": True, "caches": False},
        "databases": {"default": {"name": "postgres-main", "critical": False, "interval": 20}},
        "dependencies": {
            "api": {"type": "http", "url": "http://127.0.0.1:9/health", "critical": True}
        },
    }
)
def test_alias_overrides_discovery_switches_and_explicit_dependencies() -> None:
    """Aliases can be renamed and tuned, discovery turned off per kind, other checks added."""
    engine = get_dependency_health()
    assert [d.name for d in engine.dependencies] == ["postgres-main", "api"]
    assert engine.dependencies[0].critical is False


@override_settings(DEPHEALTH={"name": "svc", "group": "team", "discover": False})
def test_discovery_off_checks_nothing() -> None:
    """With discovery off and no dependencies, nothing is checked."""
    assert get_dependency_health().dependencies == ()


@override_settings(DEPHEALTH={"name": "svc", "group": "team", "databases": {"default": False}})
def test_an_alias_set_to_false_is_excluded() -> None:
    """``"databases": {"default": False}`` leaves that alias out."""
    assert [d.name for d in get_dependency_health().dependencies] == ["cache-default"]


def test_override_settings_rebuilds_the_engine() -> None:
    """Changing DEPHEALTH with override_settings takes effect at the next use."""
    first = get_dependency_health()
    with override_settings(DEPHEALTH={"name": "other", "group": "team"}):
        assert get_dependency_health().name == "other"
    assert get_dependency_health() is not first
    assert get_dependency_health().name == "django-tests"


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"bogus": 1}, "bogus"),
        ({"discover": "sometimes"}, "discover"),
        ({"metrics": 1}, "metrics"),
        ({"databases": {"default": {"colour": "red"}}}, "colour"),
        ({"show_details": "no.such.module.func"}, "show_details"),
        ({"paths": ["readyz"]}, "paths"),
    ],
)
def test_bad_settings_name_the_field(config: dict[str, object], field: str) -> None:
    """A bad DEPHEALTH value raises a ConfigError naming the field."""
    with pytest.raises(ConfigError) as caught:
        read_options(config)
    assert caught.value.field == field


def test_boolean_settings_take_the_boolean_words() -> None:
    """DEPHEALTH booleans take yes/no, true/false, on/off and 1/0 in any case, like DEPHEALTH_*."""
    options = read_options({"discover": "No", "metrics": "ON", "autostart": "0"})
    assert (options.discover_databases, options.discover_caches) == (False, False)
    assert options.metrics is True
    assert options.autostart is False


@override_settings(
    DEPHEALTH={
        "name": "svc",
        "group": "team",
        "dependencies": {"api": {"type": "http", "url": "http://127.0.0.1:9", "critical": "maybe"}},
    }
)
def test_manage_py_check_reports_the_dependency_and_field() -> None:
    """``manage.py check`` fails with dephealth.E001 naming the dependency and the field."""
    with pytest.raises(SystemCheckError) as caught:
        call_command("check")
    text = str(caught.value)
    assert "dephealth.E001" in text
    assert "'api'" in text
    assert "'critical'" in text


@override_settings(DEPHEALTH={"name": "Not Valid", "group": "team"})
def test_system_check_reports_a_bad_service_name() -> None:
    """A bad global setting is dephealth.E002 with the field named."""
    [error] = check_settings()
    assert error.id == "dephealth.E002"
    assert "'service'" in error.msg or "'name'" in error.msg


@override_settings(DEPHEALTH={"name": "svc", "group": "team", "show_details": "token"})
def test_system_check_reports_a_bad_view_option() -> None:
    """A view option that cannot work (token mode without a token) is reported."""
    [error] = check_settings()
    assert error.id == "dephealth.E002"
    assert "details_token" in error.msg


def test_good_settings_pass_the_system_checks() -> None:
    """The test project's settings raise no dephealth error."""
    assert check_settings() == []


def test_factories_refuse_unchecked_engines() -> None:
    """Declaring a check of an SQLite alias or a LocMem cache is a ConfigError."""
    with pytest.raises(ConfigError, match="only PostgreSQL and MySQL"):
        database_check("local")
    with pytest.raises(ConfigError, match="only Redis"):
        cache_check("local")


def test_mysql_alias_and_django_redis_location_list_are_understood() -> None:
    """MySQL/MariaDB aliases and django-redis LOCATION lists give the right labels."""
    mysql = database_check(
        "legacy",
        databases={"legacy": {"ENGINE": "django.db.backends.mysql", "HOST": "db.internal"}},
    )
    assert mysql.type == "mysql"
    assert mysql.resolve_target().hosts == (("db.internal", "3306"),)
    redis = cache_check(
        "sessions",
        caches={
            "sessions": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": ["redis://primary:6380/1", "redis://replica:6380/1"],
            }
        },
    )
    assert redis.resolve_target().hosts == (("primary", "6380"),)
