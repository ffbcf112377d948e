"""A Flask app whose dependencies come from ``DEPHEALTH_*`` variables (run by gunicorn).

Every health view is on, details included, and ``/metrics``. ``/pid`` says which process
answered (``?sleep=`` holds the worker), and every answer carries ``X-Worker-Pid``. With
``REL_REDIS_PORT``, a Redis client of the process's own (built when its checks start, named
``rel-<pid>``) is checked in pool mode. ``REL_START`` is ``DEPHEALTH_START``
(``first_request`` by default; ``init_app`` starts each gunicorn worker's checks right after
its fork under ``--preload``). ``REL_LOG_LEVEL`` sets the root logger's level (stderr).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import Any

from flask import Flask, Response, request

from dephealth_core import Dependency, redis_check
from dephealth_flask import DepHealth

logging.basicConfig(
    stream=sys.stderr,
    level=os.environ.get("REL_LOG_LEVEL", "INFO"),
    format="%(asctime)s %(name)s %(levelname)s %(message)s",
)

app = Flask(__name__)
app.config.update(
    DEPHEALTH_SHOW_DETAILS="always",
    DEPHEALTH_METRICS=True,
    DEPHEALTH_START=os.environ.get("REL_START", "first_request"),
)


def _process_client() -> Any:
    import redis

    return redis.Redis(
        host="127.0.0.1",
        port=int(os.environ["REL_REDIS_PORT"]),
        client_name=f"rel-{os.getpid()}",
        socket_timeout=1,
    )


dependencies: list[Dependency] = []
if os.environ.get("REL_REDIS_PORT"):
    dependencies.append(redis_check("cache", client=_process_client, critical=True))
dephealth = DepHealth(app, *dependencies)


@app.after_request
def worker_pid(response: Response) -> Response:
    response.headers["X-Worker-Pid"] = str(os.getpid())
    return response


@app.get("/pid")
def pid() -> str:
    time.sleep(float(request.args.get("sleep", "0")))
    return f"{os.getpid()}\n"
