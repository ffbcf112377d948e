"""Checks classify failures the same whatever else the process has done.

Apps change process-wide state that drivers depend on. A Django project on PyMySQL calls
``pymysql.install_as_MySQLdb()``, and Django's MySQL backend then imports ``MySQLdb.*``
submodules: pymysql's modules load a second time under that name, and ``pymysql.err`` is
rebound to the copy. Run in a subprocess, so this process's PyMySQL stays as it was.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from tests.support.app_servers import app_env

from .adapters import APPS

SCRIPT = """
import asyncio, sys
import pymysql
pymysql.install_as_MySQLdb()
from MySQLdb.converters import conversions  # what Django's MySQL backend imports
from dephealth_core import DependencyHealth, mysql_check

url = sys.argv[1]
dh = DependencyHealth("svc", "team", mysql_check("db", url=url, critical=True), metrics=False)
print([s.detail for s in asyncio.run(dh.check_now()).values()][0])
"""


def test_mysql_errors_keep_their_class_after_install_as_mysqldb(
    mysql_params: dict[str, Any],
) -> None:
    """With PyMySQL installed as MySQLdb (Django), a wrong MySQL password still reads auth_error."""
    url = f"mysql://root:wrong-password@{mysql_params['host']}:{mysql_params['port']}/test"
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, url],
        env=app_env(app_dir=APPS),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "auth_error"
