"""Flask's app.config holds Python values: timedelta, pool objects, anything a user sets.

Durations given as ``timedelta`` and pools or clients given as objects work; every other
value that does not fit is a ConfigError naming the dependency and the field, never a
``TypeError`` from deep inside.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import redis

from dephealth_core import ConfigError

from .sources import flask_engine

TCP = {"DEPHEALTH_DB_URL": "tcp://127.0.0.1:5432", "DEPHEALTH_DB_CRITICAL": True}


def test_a_timedelta_is_a_duration_in_app_config() -> None:
    """DEPHEALTH_CHECK_INTERVAL = timedelta(seconds=10), as the Flask page documents, works."""
    engine = flask_engine(
        {
            **TCP,
            "DEPHEALTH_CHECK_INTERVAL": timedelta(seconds=10),
            "DEPHEALTH_TIMEOUT": timedelta(seconds=2),
            "DEPHEALTH_DB_INTERVAL": timedelta(seconds=20),
        }
    )
    assert engine.defaults.interval == 10.0
    assert engine.defaults.timeout == 2.0
    (db,) = engine.dependencies
    assert db.interval == timedelta(seconds=20)


def test_a_client_object_in_app_config_is_used_in_pool_mode() -> None:
    """DEPHEALTH_CACHE_CLIENT = redis.Redis(...) gives a pool-mode check of that client."""
    client = redis.Redis(host="127.0.0.1", port=6379)
    try:
        engine = flask_engine(
            {
                "DEPHEALTH_CACHE_TYPE": "redis",
                "DEPHEALTH_CACHE_CLIENT": client,
                "DEPHEALTH_CACHE_CRITICAL": False,
            }
        )
        (cache,) = engine.dependencies
        assert cache.source is client
        assert [tuple(p) for p in cache.resolve_target().hosts] == [("127.0.0.1", "6379")]
    finally:
        client.close()


class Opaque:
    """A value that is neither JSON nor anything dephealth knows."""


@pytest.mark.parametrize(
    ("config", "dependency", "field"),
    [
        ({**TCP, "DEPHEALTH_DB_POOL": Opaque()}, "db", "pool"),
        ({**TCP, "DEPHEALTH_DB_CLIENT": Opaque()}, "db", "client"),
        ({**TCP, "DEPHEALTH_DB_TIMEOUT": timedelta(minutes=5)}, "db", "timeout"),
        ({**TCP, "DEPHEALTH_DB_INTERVAL": Opaque()}, "db", "interval"),
        ({**TCP, "DEPHEALTH_DB_CRITICAL": Opaque()}, "db", "critical"),
        ({**TCP, "DEPHEALTH_DB_LABEL_ZONE": Opaque()}, "db", "labels"),
        ({**TCP, "DEPHEALTH_DB_PORT": 1.5}, "db", "port"),
        ({"DEPHEALTH_DB_URL": b"tcp://127.0.0.1:1", "DEPHEALTH_DB_CRITICAL": True}, "db", "url"),
        ({"DEPHEALTH_DB_URL": Opaque(), "DEPHEALTH_DB_CRITICAL": True}, "db", "url"),
        (
            {
                "DEPHEALTH_API_URL": "http://127.0.0.1/",
                "DEPHEALTH_API_CRITICAL": True,
                "DEPHEALTH_API_HEADERS": {"X-A": Opaque()},
            },
            "api",
            "headers",
        ),
        ({**TCP, "DEPHEALTH_CHECK_INTERVAL": Opaque()}, None, "interval"),
        ({**TCP, "DEPHEALTH_NAME": Opaque()}, None, "name"),
        ({**TCP, "DEPHEALTH_METRICS": "maybe"}, None, "metrics"),
        ({**TCP, "DEPHEALTH_PATHS": ["livez"]}, None, "paths"),
    ],
)
def test_a_value_that_does_not_fit_is_a_config_error(
    config: dict[str, Any], dependency: str | None, field: str
) -> None:
    """Objects, bytes and out-of-range timedeltas in app.config are ConfigErrors, not TypeErrors."""
    with pytest.raises(ConfigError) as caught:
        flask_engine(config)
    assert (caught.value.dependency, caught.value.field) == (dependency, field), str(caught.value)
