"""End to end under a real uvicorn process: outages, recovery and graceful shutdown."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

APPS = Path(__file__).parent / "apps"
EXAMPLES = Path(__file__).parents[2] / "examples"
DEADLINE = 20.0

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` until true; fail (not a timing assertion: a generous bound) if never."""
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"never happened: {what}")


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class PrivateRedis:
    """A redis-server of our own on a free port, to stop and start at will."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *(self.binary, "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: port_open(self.port), "private redis-server listening")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server not installed")
        pytest.skip("redis-server not installed (apt-get install redis-server)")
    server = PrivateRedis(binary)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class Uvicorn:
    """``uvicorn <module>:app`` in a subprocess, its log in a file."""

    def __init__(self, module: str, log: Path, env: dict[str, str], app_dir: Path = APPS) -> None:
        self.port = free_port()
        self.log = log
        self.url = f"http://127.0.0.1:{self.port}"
        with log.open("wb") as sink:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "uvicorn", f"{module}:app", "--app-dir", str(app_dir)),
                    *("--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"),
                ],
                stdout=sink,
                stderr=subprocess.STDOUT,
                env={**os.environ, **env},
            )
        wait_for(lambda: port_open(self.port) or self.process.poll() is not None, "uvicorn up")
        assert self.process.poll() is None, self.log.read_text()

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url + path, timeout=5)

    def status(self, path: str) -> int:
        return self.get(path).status_code

    def terminate(self) -> bool:
        """SIGTERM, then whether uvicorn finished a graceful shutdown."""
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        # uvicorn re-raises the signal it caught once its shutdown is complete.
        return code in (0, -signal.SIGTERM) and "Finished server process" in self.log.read_text()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def uvicorn(tmp_path: Path) -> Iterator[Callable[..., Uvicorn]]:
    started: list[Uvicorn] = []

    def start(module: str, app_dir: Path = APPS, **env: str) -> Uvicorn:
        server = Uvicorn(module, tmp_path / f"{module}.log", env, app_dir)
        started.append(server)
        return server

    yield start
    for server in started:
        server.kill()


def test_readyz_follows_a_redis_outage(
    private_redis: PrivateRedis, uvicorn: Callable[..., Uvicorn]
) -> None:
    """/readyz turns 503 when Redis stops and 200 again when it is back; the app keeps serving."""
    server = uvicorn("outage_app", DH_REDIS_PORT=str(private_redis.port))
    wait_for(lambda: server.status("/readyz") == 200, "/readyz 200 with Redis up")

    private_redis.stop()
    wait_for(lambda: server.status("/readyz") == 503, "/readyz 503 with Redis down")
    verbose = server.get("/readyz?verbose").text
    # Through the app's own client, redis-py's default retries outlast the timeout.
    assert "[-]redis failed: " in verbose
    assert server.get("/").text == "home"

    private_redis.start()
    wait_for(lambda: server.status("/readyz") == 200, "/readyz 200 with Redis back")
    assert server.get("/health/dependencies").json() == {
        "status": "healthy",
        "dependencies": {"redis": True},
    }
    assert server.terminate()


def test_sigterm_fails_readiness_before_checks_stop(uvicorn: Callable[..., Uvicorn]) -> None:
    """On SIGTERM, /readyz answers 503 while a check is still in flight, the checks stop,
    and only then does the app's own shutdown run."""
    server = uvicorn("shutdown_app")
    wait_for(lambda: server.status("/readyz") == 200, "/readyz 200")
    started = server.log.read_text().count("probe: check started")
    wait_for(
        lambda: server.log.read_text().count("probe: check started") > started,
        "a fresh check in flight",
    )
    assert server.terminate()
    lines = server.log.read_text().splitlines()

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


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.parametrize("module", ["starlette_app", "fastapi_app"])
def test_examples_run_ready(module: str, uvicorn: Callable[..., Uvicorn]) -> None:
    """The documented examples start under uvicorn and report their pools healthy."""
    for port, what in ((5432, "PostgreSQL"), (6379, "Redis")):
        if not port_open(port):
            if os.environ.get("CI") == "true":
                pytest.fail(f"{what} not reachable on 127.0.0.1:{port}")
            pytest.skip(f"{what} not reachable on 127.0.0.1:{port}")
    server = uvicorn(module, app_dir=EXAMPLES)
    wait_for(lambda: server.status("/readyz") == 200, f"{module} /readyz 200")
    health = server.get("/health/dependencies").json()["dependencies"]
    assert health["postgres-main"] is True
    assert health["redis-cache"] is True
    assert server.get("/").status_code == 200
    assert server.terminate()
