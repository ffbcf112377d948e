"""The app ``bench/flask_requests.py`` runs under gunicorn: a trivial route, with or without us.

``BENCH_EXTENSION=1`` installs ``DepHealth`` (default start: at the first request, so its
``before_request`` hook is on every request); ``BENCH_TCP_PORT`` is the TCP dependency.
"""

from __future__ import annotations

import os

from flask import Flask

app = Flask(__name__)


@app.get("/trivial")
def trivial() -> str:
    return "ok"


if os.environ.get("BENCH_EXTENSION") == "1":
    from dephealth_core import tcp_check
    from dephealth_flask import DepHealth

    DepHealth(
        app,
        tcp_check(
            "backend", host="127.0.0.1", port=int(os.environ["BENCH_TCP_PORT"]), critical=True
        ),
        name="bench",
        group="bench",
    )
