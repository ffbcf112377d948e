"""A Flask app for the development-server test: every check appends this process's pid to a file.

``TEST_CHECK_LOG``: the file. ``TEST_START``: when checks start (``DEPHEALTH_START``).
"""

from __future__ import annotations

import os

from flask import Flask, Response

from dephealth_core import Dependency, Endpoint, Kind, Target
from dephealth_flask import DepHealth


class PidLoggingChecker:
    """Records which process ran the check; always healthy."""

    def check(self, endpoint: Endpoint) -> None:
        with open(os.environ["TEST_CHECK_LOG"], "a") as log:
            log.write(f"{os.getpid()}\n")


def _make_checker(dependency: Dependency, target: Target) -> PidLoggingChecker:
    return PidLoggingChecker()


PID_KIND = Kind(type="pid-log", default_port=None, make_checker=_make_checker)


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["DEPHEALTH_START"] = os.environ.get("TEST_START", "first_request")
    DepHealth(
        app,
        Dependency("recorder", PID_KIND, critical=True, host="127.0.0.1", port=1),
        name="flask-reloader",
        group="tests",
        check_interval=1,
        timeout=0.5,
    )

    @app.after_request
    def tag(response: Response) -> Response:
        response.headers["X-Worker-Pid"] = str(os.getpid())
        return response

    return app


app = create_app()
