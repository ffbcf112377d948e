"""The three adapters' apps of ``apps/`` under real servers: name -> command for a port.

Serve them with ``tests.support.app_servers.served_together(ADAPTERS, env, tmp_path,
app_dir=APPS)``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.support.app_servers import gunicorn_command, uvicorn_command

APPS = Path(__file__).resolve().parent / "apps"

ADAPTERS: dict[str, Callable[[int], list[str]]] = {
    "starlette-uvicorn": lambda port: uvicorn_command("starlette_app:app", port),
    "django-gunicorn": lambda port: gunicorn_command("relproject.wsgi:application", port),
    "flask-gunicorn": lambda port: gunicorn_command("flask_app:app", port),
}
