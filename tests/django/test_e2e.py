"""End to end under real gunicorn (WSGI) and uvicorn (ASGI) against PostgreSQL and Redis."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from djtest_support import HERE, free_port, pg_connections, reachable, subprocess_env

from tests.support.servers import PrivateRedis

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("postgres_dsn")]


def _server_command(kind: str, port: int) -> list[str]:
    if kind.startswith("gunicorn"):
        preload = ["--preload"] if kind == "gunicorn-preload" else []
        return [
            sys.executable,
            "-m",
            "gunicorn",
            *preload,
            "project.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--chdir",
            str(HERE),
            "--graceful-timeout",
            "5",
        ]
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "project.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--app-dir",
        str(HERE),
        "--log-level",
        "warning",
    ]


@pytest.fixture
def cache_server(private_redis: Callable[..., PrivateRedis]) -> PrivateRedis:
    """The test project's cache: a Redis of the test's own, to stop and start."""
    return private_redis()


# --preload: the master imports the project before forking, the workers start their own checks.
@pytest.fixture(params=["gunicorn", "gunicorn-preload", "uvicorn"])
def server(
    request: pytest.FixtureRequest, cache_server: PrivateRedis, app_name: str
) -> Iterator[tuple[str, str, subprocess.Popen[bytes]]]:
    """A served test project whose cache is the private Redis; yields (kind, base URL, process)."""
    port = free_port()
    env = subprocess_env(
        DJTEST_REDIS_URL=cache_server.url,
        DJTEST_APP_NAME=app_name,
        DJTEST_INTERVAL="1",
        DJTEST_TIMEOUT="0.5",
    )
    process = subprocess.Popen(
        _server_command(request.param, port),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not reachable(port):
            assert process.poll() is None, "the server exited"
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield request.param, f"http://127.0.0.1:{port}", process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def _until(predicate: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _steady(client: httpx.Client, url: str, status: int, times: int = 10) -> Callable[[], bool]:
    """A predicate: ``times`` answers in a row (spread over the workers) have ``status``."""

    def check() -> bool:
        return all(client.get(url).status_code == status for _ in range(times))

    return check


def test_readyz_follows_a_redis_outage_and_pg_connections_stay_flat(
    server: tuple[str, str, subprocess.Popen[bytes]], cache_server: PrivateRedis, app_name: str
) -> None:
    """/readyz turns 503 when Redis stops and 200 when it is back; PG connections stay flat."""
    kind, base, process = server
    workers = 2 if kind.startswith("gunicorn") else 1
    samples: list[int] = []
    with httpx.Client(base_url=base, timeout=15.0) as client:
        # Workers may still be importing the project (a loaded machine): wait for them.
        assert client.get("/ping", timeout=60).text == "pong\n"
        _until(_steady(client, "/readyz", 200), "/readyz 200")
        samples.append(pg_connections(app_name))

        cache_server.stop()
        _until(_steady(client, "/readyz", 503), "/readyz 503 with Redis down")
        assert "[-]cache-default failed: connection_error" in client.get("/readyz?verbose").text
        samples.append(pg_connections(app_name))

        cache_server.start()
        _until(_steady(client, "/readyz", 200), "/readyz 200 with Redis back")
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
    process.terminate()
    process.wait(15)
    _until(lambda: pg_connections(app_name) == 0, "the checker connections to close", 10)
