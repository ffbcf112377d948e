"""Django settings that cannot be read: errors name the dependency as the metrics do, warnings
name the alias that is left unchecked, and no password is quoted.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dephealth_core import ConfigError
from dephealth_django import database_check, get_dependency_health
from dephealth_django.checks import check_settings
from tests.config.secret_urls import Password, passwords

PG = {"ENGINE": "django.db.backends.postgresql", "NAME": "app", "USER": "app"}
REDIS = "django.core.cache.backends.redis.RedisCache"
BASE = {"name": "svc", "group": "team"}


def caches(location: Any) -> dict[str, Any]:
    return {"default": {"BACKEND": REDIS, "LOCATION": location}}


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"HOST": "127.0.0.1", "PORT": "70000"}, "port"),
        ({"HOST": "127.0.0.1", "PORT": 0}, "port"),
        ({"HOST": "127.0.0.1", "PORT": "54x"}, "port"),
        ({"HOST": "127.0.0.1:5432"}, "host"),
        ({"HOST": "admin:Zq9kXw7@127.0.0.1"}, "host"),
        ({"HOST": "postgres://db.svc"}, "host"),
    ],
)
def test_a_bad_database_address_is_a_config_error_of_db_alias(
    entry: dict[str, Any], field: str
) -> None:
    """HOST and PORT follow the core's rules; the error names db-<alias>, never the password."""
    with pytest.raises(ConfigError) as caught:
        database_check("default", databases={"default": {**PG, **entry}})
    assert (caught.value.dependency, caught.value.field) == ("db-default", field)
    assert "Zq9kXw7" not in str(caught.value)


def test_a_unix_socket_folder_is_kept_as_the_host() -> None:
    """HOST="/var/run/postgresql" (a socket folder) is a valid Django setting and stays one."""
    dependency = database_check("default", databases={"default": {**PG, "HOST": "/run/pg"}})
    assert dependency.resolve_target().hosts == (("/run/pg", "5432"),)


@override_settings(
    DEPHEALTH=BASE, DATABASES={"default": {**PG, "HOST": "127.0.0.1", "PORT": "70000"}}
)
def test_manage_py_check_reports_a_bad_port_on_db_default() -> None:
    """manage.py check: dephealth.E001 naming 'db-default' and 'port'."""
    [error] = check_settings()
    assert error.id == "dephealth.E001"
    assert "'db-default'" in error.msg and "'port'" in error.msg


@override_settings(DEPHEALTH=BASE, CACHES=caches("redis://default:6390#Hunt3rRd@127.0.0.1:6379/0"))
def test_a_cache_location_with_an_unencoded_password_is_an_error_quoting_none_of_it() -> None:
    """LOCATION with a raw '#': an error on cache-default's url that says to encode, no secret."""
    [error] = check_settings()
    assert error.id == "dephealth.E001"
    assert "'cache-default'" in error.msg and "percent-encode" in error.msg
    assert "Hunt3rRd" not in error.msg and "6390" not in error.msg


@override_settings(DEPHEALTH=BASE, CACHES=caches("unix:///run/redis.sock"))
def test_a_cache_that_cannot_be_checked_is_a_system_check_warning() -> None:
    """A Unix-socket LOCATION is not silently skipped: W001 names the alias and why."""
    [warning] = check_settings()
    assert warning.id == "dephealth.W001"
    assert "'default'" in warning.msg and "unix://" in warning.msg
    assert [d.name for d in get_dependency_health().dependencies if d.type == "redis"] == []


@override_settings(DEPHEALTH={**BASE, "databases": {"default": {"critcal": False}}})
def test_a_typo_in_an_alias_option_names_the_dependency_as_the_metrics_do() -> None:
    """The alias 'default' of DATABASES is dependency 'db-default' in the error."""
    [error] = check_settings()
    assert "'db-default'" in error.msg and "'critcal'" in error.msg


PROPERTY = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def refused_rightly(error: ConfigError, password: Password) -> None:
    """Refused only when written raw with a character to encode; on url; quoting nothing."""
    # In a LOCATION, "," and ";" separate servers: they must be encoded too.
    raw_separator = not password.encoded and any(c in password.value for c in ",;")
    assert raw_separator or not password.must_parse, str(error)
    assert "percent-encode" in str(error)
    assert (error.dependency, error.field) == ("cache-default", "url")
    assert not any(form in str(error) for form in password.forms())


@PROPERTY
@given(password=passwords(), scheme=st.sampled_from(["redis", "rediss"]))
def test_a_generated_password_in_a_cache_location_is_read_right_or_refused(
    password: Password, scheme: str
) -> None:
    """The right host and port, or a ConfigError on cache-default's url that quotes none of it."""
    location = f"{scheme}://default:{password.in_url}@127.0.0.1:6390/0"
    with override_settings(DEPHEALTH=BASE, CACHES=caches(location)):
        try:
            engine = get_dependency_health()
        except ConfigError as error:
            refused_rightly(error, password)
            return
        [cache] = [d for d in engine.dependencies if d.type == "redis"]
        assert cache.resolve_target().hosts == (("127.0.0.1", "6390"),)
        texts = [repr(engine), *(repr(d) for d in engine.dependencies)]
        assert not any(form in text for form in password.forms() for text in texts)


def test_an_encoded_password_with_every_reserved_character_is_read() -> None:
    """quote(password, safe='') is always accepted."""
    location = f"redis://default:{quote('a/b?c#d@e%f[g]', safe='')}@127.0.0.1:6390/0"
    with override_settings(DEPHEALTH=BASE, CACHES=caches(location)):
        [cache] = [d for d in get_dependency_health().dependencies if d.type == "redis"]
    assert cache.resolve_target().hosts == (("127.0.0.1", "6390"),)
