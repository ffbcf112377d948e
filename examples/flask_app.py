"""A Flask app with dephealth: an app factory, Flask-SQLAlchemy, a Redis client, health views.

Run it with the development server or gunicorn::

    python examples/flask_app.py                    # http://127.0.0.1:5000/readyz?verbose
    gunicorn -w 2 "examples.flask_app:create_app()"

It checks the app's own PostgreSQL pool (Flask-SQLAlchemy) and Redis client in pool mode.
``DATABASE_URL`` and ``REDIS_URL`` pick the servers (default: the local ones); a server that
is not there shows up as a failed dependency, which is the point. Try ``/readyz?verbose``,
``/health``, ``/health/dependencies``, ``/metrics``, and ``/health/details`` with
``Authorization: Bearer let-me-see``.
"""

from __future__ import annotations

import os

import redis
from flask import Flask, current_app
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text

from dephealth_core import postgres_check, redis_check
from dephealth_flask import DepHealth

db = SQLAlchemy()

# Declared at import time; each app's pools are found when its checks start.
dephealth = DepHealth(
    None,
    # Flask-SQLAlchemy's db stands for db.engine, resolved inside the app's context.
    postgres_check("postgres-main", pool=db, critical=True),
    # A zero-argument callable: resolved in the app's context when checks start.
    redis_check("redis-cache", client=lambda: current_app.extensions["redis"], critical=False),
    metrics=True,
)


def create_app() -> Flask:
    app = Flask(__name__)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=os.environ.get(
            "DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 5, "pool_pre_ping": True},
        # The same keys as the environment: DEPHEALTH_NAME, DEPHEALTH_<DEP>_..., and the
        # extension's own (DEPHEALTH_SHOW_DETAILS, DEPHEALTH_PREFIX, DEPHEALTH_START...).
        DEPHEALTH_NAME="orders",
        DEPHEALTH_GROUP="shop",
        DEPHEALTH_CHECK_INTERVAL=5,
        DEPHEALTH_TIMEOUT=2,
        DEPHEALTH_SHOW_DETAILS="token",
        DEPHEALTH_DETAILS_TOKEN=os.environ.get("DETAILS_TOKEN", "let-me-see"),
    )
    db.init_app(app)
    app.extensions["redis"] = redis.Redis.from_url(
        os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), socket_timeout=1
    )
    dephealth.init_app(app)

    @app.get("/")
    def index() -> dict[str, object]:
        with db.engine.connect() as connection:
            answer = connection.execute(text("SELECT 1")).scalar()
        return {"db": answer, "dependencies": dephealth.health()}

    return app


if __name__ == "__main__":
    # Checks start at the first request, in the process that serves it: with the reloader
    # (debug=True) that is the reloader's child only.
    create_app().run(port=int(os.environ.get("PORT", "5000")))
