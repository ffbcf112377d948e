"""dephealth's documented examples, with only their imports (and addresses) changed, on ours.

Each example lives in ``tests/compat/examples/`` as dephealth's docs print it; the addresses come
from the environment so that it runs against the real servers on loopback. The FastAPI ones run
under a real uvicorn; the asyncio one as its own process, stopped with SIGINT as its docs say.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.compat import conformance as conf
from tests.compat.serving import DEADLINE, ROOT, Served, service_env, uvicorn, wait_until
from tests.compat.stubs import HttpStub
from tests.support.fault_proxy import ThreadedFaultProxy
from tests.support.ports import free_port
from tests.support.servers import KafkaBroker

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

EXAMPLES = "tests.compat.examples"


@pytest.fixture
def http_stub() -> Iterator[HttpStub]:
    stub = HttpStub().start()
    yield stub
    stub.close()


def statuses(served: Served) -> dict[str, tuple[str, str, str, str]]:
    """dependency -> (host, port, status, detail), from /metrics."""
    metrics = conf.parse(served.get("/metrics").text)
    active = conf.active_status(metrics)
    return {
        key[0]: (key[1], key[2], active.get(key, "?"), detail)
        for key, detail in conf.details(metrics).items()
    }


def wait_status(served: Served, dependency: str, status: str) -> tuple[str, str, str, str]:
    def probe() -> tuple[str, str, str, str] | None:
        entry = statuses(served).get(dependency)
        return entry if entry is not None and entry[2] == status else None

    return wait_until(probe, f"{dependency} reaching {status}")


def test_basic_fastapi_example(http_stub: HttpStub, tmp_path: Path) -> None:
    """docs/examples/basic-fastapi: lifespan, middleware and router; /metrics without asking."""
    env = {"PAYMENT_URL": f"{http_stub.url}/health"}
    with uvicorn(f"{EXAMPLES}.basic_fastapi:app", env, tmp_path) as served:
        assert wait_status(served, "payment-api", "ok")[:2] == ("127.0.0.1", str(http_stub.port))
        assert served.get("/").json() == {"message": "Hello, World!"}
        dependencies = served.get("/health/dependencies")
        assert dependencies.status_code == 200
        assert dependencies.json() == {"status": "healthy", "dependencies": {"payment-api": True}}
        assert "app_dependency_latency_seconds_bucket{" in served.get("/metrics").text


def test_multi_dependency_example(
    postgres_dsn: str,
    redis_url: str,
    kafka_broker: KafkaBroker,
    tmp_path: Path,
) -> None:
    """docs/examples/multi-dependency: pools built in the app's lifespan, its own /readyz and
    /healthz routes. Its /readyz (all dependencies) keeps answering, not ours (critical only)."""
    http_stub = HttpStub(health_path="/healthz").start()
    http_stub.require_bearer("my-service-token")
    with ThreadedFaultProxy("127.0.0.1", 6379) as redis:
        env = {
            "DATABASE_URL": postgres_dsn,
            "REDIS_URL": f"redis://127.0.0.1:{redis.port}/0",
            "AUTH_URL": http_stub.url,
            "KAFKA_URL": kafka_broker.url,
        }
        with uvicorn(f"{EXAMPLES}.multi_dependency:app", env, tmp_path) as served:
            for name in ("postgres-main", "redis-cache", "auth-service", "events-kafka"):
                wait_status(served, name, "ok")
            # host= next to pool= names the endpoint, as in dephealth.
            assert statuses(served)["postgres-main"][:2] == ("pg.db", "5432")
            assert 'env="production"' in served.get("/metrics").text
            ready = served.get("/readyz")
            assert (ready.status_code, ready.text) == (200, "ok")

            redis.refuse()
            wait_status(served, "redis-cache", "connection_error")
            ready = served.get("/readyz")
            assert (ready.status_code, ready.text) == (503, "not ready")
            details = served.get("/healthz").json()
            assert details["redis-cache:redis.cache:6379"]["healthy"] is False
            assert len(served.warnings_about("/readyz")) == 1
    http_stub.close()


def test_dynamic_endpoints_example(http_stub: HttpStub, tmp_path: Path) -> None:
    """docs/examples/dynamic-endpoints: add, update and remove endpoints through its REST API,
    with dephealth's Endpoint(host, port) and HTTPChecker(); its own /health stays its own."""
    env = {"USERS_URL": http_stub.url}
    with uvicorn(f"{EXAMPLES}.dynamic_endpoints:app", env, tmp_path) as served:
        wait_status(served, "users-api", "ok")
        body = {"name": "orders-api", "host": "127.0.0.1", "port": str(http_stub.port)}
        added = served.request("POST", "/endpoints", body)
        assert (added.status_code, added.json()) == (201, {"status": "added"})
        wait_status(served, "orders-api", "ok")
        own = served.get("/health").json()
        assert own[f"orders-api:127.0.0.1:{http_stub.port}"]["healthy"] is True

        refused = free_port()
        update = {
            "name": "orders-api",
            "old_host": "127.0.0.1",
            "old_port": str(http_stub.port),
            "new_host": "127.0.0.1",
            "new_port": str(refused),
        }
        assert served.request("PUT", "/endpoints", update).json() == {"status": "updated"}
        assert wait_status(served, "orders-api", "connection_error")[1] == str(refused)

        gone = {"name": "orders-api", "host": "127.0.0.1", "port": str(refused)}
        assert served.request("DELETE", "/endpoints", gone).json() == {"status": "removed"}
        wait_until(lambda: "orders-api" not in statuses(served), "orders-api series removed")
        assert 'dependency="orders-api"' not in served.get("/metrics").text
        assert len(served.warnings_about("/health")) == 1


def test_connection_pools_fastapi_example(
    postgres_dsn: str, redis_url: str, tmp_path: Path
) -> None:
    """docs/connection-pools.md, FastAPI with pools: ``pool=`` alone names the endpoint."""
    env = {"DATABASE_URL": postgres_dsn, "REDIS_URL": redis_url}
    with uvicorn(f"{EXAMPLES}.pools_fastapi:app", env, tmp_path) as served:
        assert wait_status(served, "postgres", "ok")[:2] == ("127.0.0.1", "5432")
        assert wait_status(served, "redis", "ok")[:2] == ("127.0.0.1", "6379")
        dependencies = served.get("/health/dependencies")
        assert dependencies.json() == {
            "status": "healthy",
            "dependencies": {"postgres": True, "redis": True},
        }


def test_fastapi_quick_start_with_a_custom_health_endpoint(
    postgres_dsn: str, tmp_path: Path
) -> None:
    """docs/fastapi.md: the app's own /health/dependencies answers, in its own words."""
    env = {"DATABASE_URL": postgres_dsn, "PAYMENT_URL": f"http://127.0.0.1:{free_port()}"}
    with uvicorn(f"{EXAMPLES}.fastapi_quick_start:app", env, tmp_path) as served:
        wait_status(served, "postgres-main", "ok")
        wait_status(served, "payment-api", "connection_error")
        own = served.get("/health/dependencies")
        assert own.status_code == 503
        assert own.json() == {
            "status": "unhealthy",
            "dependencies": {"postgres-main": True, "payment-api": False},
        }
        assert len(served.warnings_about("/health/dependencies")) == 1


def test_async_checks_example(
    postgres_dsn: str, redis_url: str, http_stub: HttpStub, tmp_path: Path
) -> None:
    """docs/examples/async-checks: its own loop prints every endpoint healthy, then shuts down
    gracefully on SIGINT."""
    env = {"AUTH_URL": http_stub.url, "DATABASE_URL": postgres_dsn, "REDIS_URL": redis_url}
    output = tmp_path / "out.txt"
    with output.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "tests/compat/examples/async_checks.py")],
            cwd=ROOT,
            env={**service_env(env), "PYTHONUNBUFFERED": "1"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wanted = ("auth-api: healthy", "orders-db: healthy", "cache: healthy")
        wait_until(
            lambda: all(w in output.read_text() for w in wanted) or process.poll() is not None,
            "every dependency printed healthy",
        )
        assert process.poll() is None, output.read_text()
        process.send_signal(signal.SIGINT)
        end = time.monotonic() + DEADLINE
        while process.poll() is None and time.monotonic() < end:
            time.sleep(0.1)
        assert process.returncode == 0, output.read_text()
        text = output.read_text()
        assert "Shut down gracefully." in text
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
