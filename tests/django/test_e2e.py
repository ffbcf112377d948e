"""End to end under real gunicorn (WSGI) and uvicorn (ASGI) against PostgreSQL and Redis."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from djtest_support import HERE, pg_connections

from tests.support._process import poll_until
from tests.support.app_servers import AppServer, gunicorn_command, uvicorn_command
from tests.support.servers import PrivateRedis

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("postgres_dsn")]


def _server_command(kind: str, port: int) -> list[str]:
    if kind.startswith("gunicorn"):
        return gunicorn_command(
            "project.wsgi:application", port, workers=2, preload=kind == "gunicorn-preload"
        )
    return uvicorn_command("project.asgi:application", port)


@pytest.fixture
def cache_server(private_redis: Callable[..., PrivateRedis]) -> PrivateRedis:
    """The test project's cache: a Redis of the test's own, to stop and start."""
    return private_redis()


# --preload: the master imports the project before forking, the workers start their own checks.
@pytest.fixture(params=["gunicorn", "gunicorn-preload", "uvicorn"])
def server(
    request: pytest.FixtureRequest, cache_server: PrivateRedis, app_name: str
) -> Iterator[tuple[str, AppServer]]:
    """A served test project whose cache is the private Redis; yields (kind, server)."""
    env = {
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DJTEST_REDIS_URL": cache_server.url,
        "DJTEST_APP_NAME": app_name,
        "DJTEST_INTERVAL": "1",
        "DJTEST_TIMEOUT": "0.5",
    }
    command = lambda port: _server_command(request.param, port)  # noqa: E731
    with AppServer(command, env=env, app_dir=HERE) as served:
        yield request.param, served


def _steady(client: httpx.Client, url: str, status: int, times: int = 10) -> Callable[[], bool]:
    """A predicate: ``times`` answers in a row (spread over the workers) have ``status``."""

    def check() -> bool:
        return all(client.get(url).status_code == status for _ in range(times))

    return check


def test_readyz_follows_a_redis_outage_and_pg_connections_stay_flat(
    server: tuple[str, AppServer], cache_server: PrivateRedis, app_name: str
) -> None:
    """/readyz turns 503 when Redis stops and 200 when it is back; PG connections stay flat."""
    kind, served = server
    workers = 2 if kind.startswith("gunicorn") else 1
    samples: list[int] = []
    with httpx.Client(base_url=served.base_url, timeout=15.0) as client:
        # Workers may still be importing the project (a loaded machine): wait for them.
        assert client.get("/ping", timeout=60).text == "pong\n"
        poll_until(_steady(client, "/readyz", 200), 20, "/readyz 200")
        samples.append(pg_connections(app_name))

        cache_server.stop()
        poll_until(_steady(client, "/readyz", 503), 20, "/readyz 503 with Redis down")
        assert "[-]cache-default failed: connection_error" in client.get("/readyz?verbose").text
        samples.append(pg_connections(app_name))

        cache_server.start()
        poll_until(_steady(client, "/readyz", 200), 20, "/readyz 200 with Redis back")
        for _ in range(10):
            time.sleep(0.3)
            samples.append(pg_connections(app_name))
        assert client.get("/health/dependencies").json()["dependencies"] == {
            "db-default": True,
            "cache-default": True,
        }
    # One persistent connection per serving process (CONN_MAX_AGE=60), never more.
    # Each worker opens its one checker connection on its first request, so the count may
    # step up from 1 to the worker count; it never grows past it.
    assert max(samples) <= workers
    assert samples[-1] >= 1
    served.terminate(timeout=15)
    poll_until(lambda: pg_connections(app_name) == 0, 10, "the checker connections to close")
