"""A Flask app for the gunicorn tests, configured by environment variables.

``TEST_REDIS_PORT``: the private Redis the app depends on (critical). ``TEST_START``: when
checks start (``DEPHEALTH_START`` in ``app.config``). ``TEST_PID_LABEL=1``: label
the dependency with the pid of the process that built the app (the worker, without
``--preload``). Test-only extras: an ``X-Worker-Pid`` header on every answer, ``/threads``
(this process's thread names), ``/trivial``, and ``X-Test-Hold: seconds`` to keep a worker
busy so that concurrent requests reach the other one. ``TEST_FAULTHANDLER=1``: SIGRTMIN dumps
every thread's stack to the log (for a hung worker).
"""

from __future__ import annotations

import atexit
import os
import threading
import time


def _report_threads_at_exit() -> None:
    names = sorted(thread.name for thread in threading.enumerate())
    # One write per line: the workers share the log file and exit at the same moment.
    os.write(2, f"\ndephealth-test: pid={os.getpid()} threads at exit: {names}\n".encode())


# Registered before dephealth_core is imported (it registers its own exit handler on import), so
# that it runs after the core has stopped the checks: atexit runs handlers last-in, first-out.
atexit.register(_report_threads_at_exit)

if os.environ.get("TEST_FAULTHANDLER") == "1":
    import faulthandler
    import signal

    faulthandler.register(signal.SIGRTMIN, all_threads=True)

import redis  # noqa: E402
from flask import Flask, Response, current_app, request  # noqa: E402

from dephealth_core import redis_check  # noqa: E402
from dephealth_flask import DepHealth  # noqa: E402


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["DEPHEALTH_START"] = os.environ.get("TEST_START", "first_request")
    labels = {"worker": str(os.getpid())} if os.environ.get("TEST_PID_LABEL") == "1" else None
    # The app's own client, checked in pool mode through a lazy reference.
    app.extensions["redis"] = redis.Redis(
        host="127.0.0.1", port=int(os.environ["TEST_REDIS_PORT"]), socket_timeout=0.4
    )
    redis_main = redis_check(
        "redis-main",
        client=lambda: current_app.extensions["redis"],
        critical=True,
        labels=labels,
    )
    DepHealth(
        app,
        redis_main,
        name="flask-e2e",
        group="tests",
        check_interval=1,
        timeout=0.5,
        metrics=True,
    )

    @app.before_request
    def hold() -> None:
        seconds = request.headers.get("X-Test-Hold")
        if seconds:
            time.sleep(float(seconds))

    @app.after_request
    def tag(response: Response) -> Response:
        response.headers["X-Worker-Pid"] = str(os.getpid())
        return response

    @app.get("/threads")
    def threads() -> dict[str, list[str]]:
        return {"threads": sorted(thread.name for thread in threading.enumerate())}

    @app.get("/trivial")
    def trivial() -> str:
        return "ok"

    return app


app = create_app()
