"""The app ``bench/flask_requests.py`` runs: a trivial route, with or without ``DepHealth``.

Under gunicorn, ``BENCH_EXTENSION=1`` installs the extension (default start: at the first
request, through a WSGI wrapper that removes itself once the checks run) and
``BENCH_TCP_PORT`` is its TCP dependency.
"""

from __future__ import annotations

import os

from flask import Flask


def create_app(extension: bool, dependency_port: int = 0) -> Flask:
    app = Flask(__name__)

    @app.get("/trivial")
    def trivial() -> str:
        return "ok"

    if extension:
        from dephealth_core import tcp_check
        from dephealth_flask import DepHealth

        DepHealth(
            app,
            tcp_check("backend", host="127.0.0.1", port=dependency_port, critical=True),
            name="bench",
            group="bench",
        )
    return app


app = create_app(
    os.environ.get("BENCH_EXTENSION") == "1", int(os.environ.get("BENCH_TCP_PORT", "0"))
)
