"""End to end under a real uvicorn process: outages, recovery and graceful shutdown."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support._process import poll_until
from tests.support.app_servers import AppServer, uvicorn_command
from tests.support.servers import PrivateRedis

APPS = Path(__file__).parent / "apps"
EXAMPLES = Path(__file__).parents[2] / "examples"
DEADLINE = 20.0

pytestmark = pytest.mark.e2e


class Uvicorn(AppServer):
    """``uvicorn <module>:app`` from ``app_dir``, with uvicorn's info lines in its log."""

    name = "uvicorn"

    def __init__(self, module: str, log_dir: Path, env: dict[str, str], app_dir: Path) -> None:
        super().__init__(
            lambda port: uvicorn_command(f"{module}:app", port, log_level="info"),
            env=env,
            app_dir=app_dir,
            log_dir=log_dir,
        )

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.base_url + path, timeout=5)

    def status(self, path: str) -> int:
        return self.get(path).status_code

    def stops_gracefully(self) -> bool:
        """SIGTERM, then whether uvicorn finished a graceful shutdown."""
        code = self.terminate()
        # uvicorn re-raises the signal it caught once its shutdown is complete.
        return code in (0, -signal.SIGTERM) and "Finished server process" in self.output()


@pytest.fixture
def uvicorn(tmp_path: Path) -> Iterator[Callable[..., Uvicorn]]:
    started: list[Uvicorn] = []

    def start(module: str, app_dir: Path = APPS, **env: str) -> Uvicorn:
        server = Uvicorn(module, tmp_path, env, app_dir)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.close()


def test_readyz_follows_a_redis_outage(
    private_redis: Callable[..., PrivateRedis], uvicorn: Callable[..., Uvicorn]
) -> None:
    """/readyz turns 503 when Redis stops and 200 again when it is back; the app keeps serving."""
    cache = private_redis()
    server = uvicorn("outage_app", DH_REDIS_PORT=str(cache.port))
    poll_until(lambda: server.status("/readyz") == 200, DEADLINE, "/readyz 200 with Redis up")

    cache.stop()
    poll_until(lambda: server.status("/readyz") == 503, DEADLINE, "/readyz 503 with Redis down")
    verbose = server.get("/readyz?verbose").text
    # Through the app's own client, redis-py's default retries outlast the timeout.
    assert "[-]redis failed: " in verbose
    assert server.get("/").text == "home"

    cache.start()
    poll_until(lambda: server.status("/readyz") == 200, DEADLINE, "/readyz 200 with Redis back")
    assert server.get("/health/dependencies").json() == {
        "status": "healthy",
        "dependencies": {"redis": True},
    }
    assert server.stops_gracefully()


def test_sigterm_fails_readiness_before_checks_stop(uvicorn: Callable[..., Uvicorn]) -> None:
    """On SIGTERM, /readyz answers 503 while a check is still in flight, the checks stop,
    and only then does the app's own shutdown run."""
    server = uvicorn("shutdown_app")
    poll_until(lambda: server.status("/readyz") == 200, DEADLINE, "/readyz 200")
    started = server.output().count("probe: check started")
    poll_until(
        lambda: server.output().count("probe: check started") > started,
        DEADLINE,
        "a fresh check in flight",
    )
    assert server.stops_gracefully()
    lines = server.output().splitlines()

    def position(text: str) -> int:
        found = [i for i, line in enumerate(lines) if text in line]
        assert found, f"{text!r} not logged:\n" + "\n".join(lines)
        return found[0]

    readyz_failed = position(
        "probe: check ending while /readyz answered 503, shutdown in progress=True"
    )
    checks_stopped = position("dephealth: stopped name=shutdown-demo")
    app_shutdown = position("app: own shutdown ran, checks running=False")
    assert readyz_failed < checks_stopped < app_shutdown


@pytest.mark.usefixtures("postgres_dsn", "redis_url")
@pytest.mark.parametrize("module", ["starlette_app", "fastapi_app"])
def test_examples_run_ready(module: str, uvicorn: Callable[..., Uvicorn]) -> None:
    """The documented examples start under uvicorn and report their pools healthy."""
    server = uvicorn(module, app_dir=EXAMPLES)
    poll_until(lambda: server.status("/readyz") == 200, DEADLINE, f"{module} /readyz 200")
    health = server.get("/health/dependencies").json()["dependencies"]
    assert health["postgres-main"] is True
    assert health["redis-cache"] is True
    assert server.get("/").status_code == 200
    assert server.stops_gracefully()
