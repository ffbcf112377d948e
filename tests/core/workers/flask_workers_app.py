"""A Flask app for the worker-sharing tests, configured by environment variables.

``TEST_TCP_PORT``: a standalone TCP dependency (critical), checked every second.
``TEST_REDIS_PORT`` (optional): a pool-mode Redis dependency through the app's own client,
whose pool ``/test-hold-pool`` holds full in the worker that serves it. ``/test-leader`` says
whether the serving worker runs the shared checks. Every answer carries ``X-Worker-Pid``.
"""

from __future__ import annotations

import os

from flask import Flask, Response, current_app

from dephealth_core import redis_check, tcp_check
from dephealth_flask import DepHealth

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    from prometheus_client import Counter

    VISITS = Counter("test_app_visits", "Visits of the app's own metrics page")


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["DEPHEALTH_START"] = "init_app"
    dependencies = [
        tcp_check(
            "tcp-shared", host="127.0.0.1", port=int(os.environ["TEST_TCP_PORT"]), critical=True
        )
    ]
    redis_port = os.environ.get("TEST_REDIS_PORT")
    if redis_port:
        import redis

        pool = redis.BlockingConnectionPool(
            host="127.0.0.1", port=int(redis_port), max_connections=1, timeout=0.3
        )
        app.extensions["redis"] = redis.Redis(connection_pool=pool)
        dependencies.append(
            redis_check("redis-pool", client=lambda: current_app.extensions["redis"], critical=True)
        )
    extension = DepHealth(
        app,
        *dependencies,
        name="workers-e2e",
        group="tests",
        check_interval=1,
        timeout=0.5,
        start="init_app",
        metrics=True,
    )

    @app.after_request
    def tag(response: Response) -> Response:
        response.headers["X-Worker-Pid"] = str(os.getpid())
        return response

    @app.get("/test-leader")
    def leader() -> dict[str, bool]:
        return {"leader": extension.state(app).engine.worker_role == "leader"}

    @app.get("/multiprocess-metrics")
    def multiprocess_metrics() -> Response:
        # The app's own exposition in prometheus_client's multiprocess mode, with our
        # collector added to the registry it builds per scrape.
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
        from prometheus_client.multiprocess import MultiProcessCollector

        VISITS.inc()
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        collector = extension.state(app).engine.collector
        assert collector is not None
        registry.register(collector)
        return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)

    @app.get("/test-hold-pool")
    def hold_pool() -> str:
        pool = app.extensions["redis"].connection_pool
        held = pool.get_connection("PING")
        # Never given back: this worker's pool stays full for the rest of its life.
        app.extensions["held"] = held
        return "held"

    return app


app = create_app()
