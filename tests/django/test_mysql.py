"""MySQL/MariaDB aliases, checked through Django's MySQL backend against the real MariaDB.

mysqlclient is not installed here, so PyMySQL stands in as ``MySQLdb`` (its documented
``install_as_MySQLdb``) for this module only.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterator

import pytest
from django.conf import settings
from djtest_support import database_settings

from dephealth_django import get_dependency_health

pytestmark = pytest.mark.usefixtures("mysql_params")


@pytest.fixture(autouse=True)
def _mysql_driver() -> Iterator[None]:
    saved = {name: sys.modules.get(name) for name in ("MySQLdb",)}
    try:
        import MySQLdb  # noqa: F401
    except ImportError:
        import pymysql

        pymysql.version_info = (2, 2, 1, "final", 0)  # Django asks for mysqlclient >= 2.2.1
        pymysql.install_as_MySQLdb()
    yield
    for name, module in saved.items():
        if module is None:
            sys.modules.pop(name, None)


def _with_maria(**changes: str) -> dict[str, object]:
    databases = copy.deepcopy(settings.DATABASES)
    databases["maria"] = {
        "ENGINE": "django.db.backends.mysql",
        "HOST": "127.0.0.1",
        "PORT": "3306",
        "NAME": "test",
        "USER": "root",
        "PASSWORD": "",
        "CONN_MAX_AGE": 60,
        **changes,
    }
    return databases


def _maria_status() -> tuple[str, bool | None, str]:
    details = get_dependency_health().check_now_background()
    [(key, status)] = [(k, s) for k, s in details.items() if k.startswith("db-maria:")]
    return key, status.healthy, status.detail


def test_mariadb_alias_is_discovered_and_healthy() -> None:
    """A MySQL-engine alias becomes a mysql dependency that checks ok against MariaDB."""
    with database_settings(_with_maria()):
        assert get_dependency_health().dependencies[1].type == "mysql"
        assert _maria_status() == ("db-maria:127.0.0.1:3306", True, "ok")


def test_mariadb_unknown_user_is_auth_error() -> None:
    """A user MariaDB rejects reads auth_error."""
    with database_settings(_with_maria(USER="dephealth_nobody")):
        assert _maria_status()[1:] == (False, "auth_error")
