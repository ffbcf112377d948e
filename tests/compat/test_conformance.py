"""dephealth's 19 conformance scenarios against our port of its Python test service.

The service (``conformance_service.py``) is dephealth's own with only its imports changed. It
runs under a real uvicorn, configured through its environment variables, against real servers
on loopback: the machine's PostgreSQL, Redis and RabbitMQ, a Kafka-protocol broker, an OpenLDAP
with the conformance directory, and Python ports of the HTTP and gRPC stubs. The "replica",
Redis and LDAP sit behind fault proxies: refusing connections there stands for the runner's
``kubectl scale --replicas=0``. No Kubernetes: the checks run against ``/metrics`` and the
service's own ``/health-details`` as the runner's would.

CHECK_INTERVAL is 3 s with ``DEPHEALTH_TIMEOUT=2`` (the contract requires timeout < interval;
the service leaves the timeout to its default, which our environment variable sets). Against
another build (``CONFORMANCE_APP``) the interval is 6 s, the smallest whole number above the
default 5 s timeout. Each scenario waits for its expected state with a generous
deadline, as the runner does (it waits up to 60 s).

``CONFORMANCE_PYTHON`` and ``CONFORMANCE_APP`` run the same scenarios against another build of
the service (an interpreter with dephealth installed and its unchanged ``main:app``, say), to
tell a failing scenario from a failing port.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.compat import conformance as conf
from tests.compat.ldap_directory import ConformanceSlapd
from tests.compat.stubs import GrpcStub, HttpStub
from tests.conftest import server_unavailable
from tests.support.fault_proxy import ThreadedFaultProxy
from tests.support.ports import free_port
from tests.support.servers import KafkaBroker, ServerNotInstalled

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.ldap, pytest.mark.timeout(400)]

ROOT = Path(__file__).resolve().parents[2]
OTHER_BUILD = "CONFORMANCE_APP" in os.environ
INTERVAL = 6 if OTHER_BUILD else 3
TIMEOUT = None if OTHER_BUILD else 2
DEADLINE = 90.0  # seconds to reach a scenario's state; one check takes at most 6 + 5 s
LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": "INFO"},
}


@dataclass
class Environment:
    """The servers, stubs and proxies of the run, and the service's address."""

    base_url: str
    log: Path
    keys: dict[str, conf.Key]
    http: HttpStub
    grpc: GrpcStub
    replica: ThreadedFaultProxy
    redis: ThreadedFaultProxy
    ldap: ThreadedFaultProxy

    # The runner's pre/post actions, by the names the scenarios use.
    def replica_down(self) -> None:
        self.replica.refuse()

    def replica_up(self) -> None:
        self.replica.pass_through()

    def redis_down(self) -> None:
        self.redis.refuse()

    def redis_up(self) -> None:
        self.redis.pass_through()

    def ldap_down(self) -> None:
        self.ldap.refuse()

    def ldap_up(self) -> None:
        self.ldap.pass_through()

    def http_slow(self) -> None:
        self.http.set_delay(10.0)

    def http_fast(self) -> None:
        self.http.set_delay(0.0)

    def http_bearer(self) -> None:
        self.http.require_bearer("test-token-123")

    def http_basic(self) -> None:
        self.http.require_basic("admin", "password")

    def http_header(self) -> None:
        self.http.require_header("X-API-Key", "my-secret-key")

    def http_no_auth(self) -> None:
        self.http.clear_auth()

    def http_host_routing(self) -> None:
        self.http.route_host("app.example.com")

    def http_no_routing(self) -> None:
        self.http.clear_routing()

    def grpc_bearer(self) -> None:
        self.grpc.require_bearer("test-token-123")

    def grpc_no_auth(self) -> None:
        self.grpc.clear_auth()

    def grpc_authority_routing(self) -> None:
        self.grpc.route_authority("app.example.com")

    def grpc_no_routing(self) -> None:
        self.grpc.clear_routing()

    def act(self, action: str) -> None:
        getattr(self, action)()

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.base_url + path, timeout=10.0)

    def metrics(self) -> conf.Metrics:
        response = self.get("/metrics")
        assert response.status_code == 200, response.text
        return conf.parse(response.text)

    def wait_for(self, expect: Mapping[str, tuple[str, str]], what: str) -> conf.Metrics:
        """Scrape until ``expect`` shows; fail with what is still missing at the deadline."""
        end = time.monotonic() + DEADLINE
        missing: list[str] = []
        while True:
            metrics = self.metrics()
            missing = conf.unmet(metrics, expect, self.keys)
            if not missing:
                return metrics
            if time.monotonic() > end:
                pytest.fail(f"{what}: never reached within {DEADLINE:.0f} s: {missing}")
            time.sleep(0.25)


@pytest.fixture(scope="module")
def conformance_ldap() -> Iterator[ConformanceSlapd]:
    try:
        server = ConformanceSlapd()
    except ServerNotInstalled as exc:
        server_unavailable(str(exc))
    with server:
        yield server


@pytest.fixture(scope="module")
def env(
    postgres_dsn: str,
    redis_url: str,
    amqp_url: str,
    kafka_broker: KafkaBroker,
    conformance_ldap: ConformanceSlapd,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Environment]:
    """The conformance service under uvicorn, with everything it checks."""
    workdir = tmp_path_factory.mktemp("conformance")
    http, grpc_stub = HttpStub().start(), GrpcStub().start()
    replica = ThreadedFaultProxy("127.0.0.1", 5432).start()
    redis = ThreadedFaultProxy("127.0.0.1", 6379).start()
    ldap = ThreadedFaultProxy(conformance_ldap.host, conformance_ldap.port).start()
    kafka = kafka_broker
    port = free_port()
    service_env = {
        **os.environ,
        "PRIMARY_DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test?sslmode=disable",
        "REPLICA_DATABASE_URL": (
            f"postgres://postgres@127.0.0.1:{replica.port}/test?sslmode=disable"
        ),
        "REDIS_URL": f"redis://127.0.0.1:{redis.port}/0",
        "RABBITMQ_URL": amqp_url,
        "KAFKA_HOST": kafka.host,
        "KAFKA_PORT": str(kafka.port),
        "HTTP_STUB_URL": http.url,
        "GRPC_STUB_HOST": "127.0.0.1",
        "GRPC_STUB_PORT": str(grpc_stub.port),
        "LDAP_HOST": "127.0.0.1",
        "LDAP_PORT": str(ldap.port),
        "CHECK_INTERVAL": str(INTERVAL),
        **({"DEPHEALTH_TIMEOUT": str(TIMEOUT)} if TIMEOUT is not None else {}),
    }
    log_config = workdir / "logging.json"
    log_config.write_text(json.dumps(LOG_CONFIG))
    log = workdir / "service.log"
    command = [
        os.environ.get("CONFORMANCE_PYTHON", sys.executable),
        "-m",
        "uvicorn",
        os.environ.get("CONFORMANCE_APP", "tests.compat.conformance_service:app"),
        *("--host", "127.0.0.1", "--port", str(port)),
        *("--log-config", str(log_config)),
    ]
    endpoints = {
        "primary": ("127.0.0.1", "5432"),
        "replica": ("127.0.0.1", str(replica.port)),
        "redis": ("127.0.0.1", str(redis.port)),
        "amqp": ("127.0.0.1", "5672"),
        "kafka": (kafka.host, str(kafka.port)),
        "http": ("127.0.0.1", str(http.port)),
        "grpc": ("127.0.0.1", str(grpc_stub.port)),
        "ldap": ("127.0.0.1", str(ldap.port)),
    }
    keys = {name: (name, *endpoints[dep.endpoint]) for name, dep in conf.DEPENDENCIES.items()}
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command, cwd=ROOT, env=service_env, stdout=log_file, stderr=subprocess.STDOUT
        )
    environment = Environment(
        f"http://127.0.0.1:{port}", log, keys, http, grpc_stub, replica, redis, ldap
    )
    try:
        end = time.monotonic() + DEADLINE
        while True:
            try:
                if environment.get("/").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > end:
                pytest.fail(f"the conformance service did not come up:\n{log.read_text()}")
            time.sleep(0.1)
        yield environment
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for closable in (http, grpc_stub, replica, redis, ldap):
            closable.close()


@pytest.mark.parametrize("scenario", conf.SCENARIOS, ids=[s.name for s in conf.SCENARIOS])
def test_conformance_scenario(env: Environment, scenario: conf.Scenario) -> None:
    """The scenario's fault, then every check it lists, as dephealth's runner runs them."""
    restored = scenario.fault is None
    try:
        if scenario.fault is not None:
            env.act(scenario.fault)
        if scenario.while_down:
            env.wait_for(scenario.while_down, f"{scenario.name} (while down)")
            assert scenario.restore is not None
            env.act(scenario.restore)
            restored = True
        metrics = env.wait_for(scenario.expect, scenario.name)
        details = env.get("/health-details").json() if scenario.health_details else None
        assert conf.scenario_problems(scenario, metrics, env.keys, details) == []
    finally:
        if not restored and scenario.restore is not None:
            env.act(scenario.restore)
        if scenario.fault is not None:
            # As the next scenario expects it: every endpoint this one touched is back at rest.
            env.wait_for(conf.BASELINE, f"{scenario.name} (undone)")


def test_the_apps_own_health_route_keeps_answering(env: Environment) -> None:
    """The service's own GET /health (its liveness probe) still says OK with a critical
    dependency down; our readiness and dephealth's /health/dependencies say it is not ready."""
    env.redis_down()
    try:
        env.wait_for({"redis-cache": conf.REFUSED}, "redis-cache down")
        own = env.get("/health")
        assert (own.status_code, own.text) == (200, "OK")
        assert own.headers["content-type"].startswith("text/plain")
        assert env.get("/readyz").status_code == 503
        dependencies = env.get("/health/dependencies")
        assert dependencies.status_code == 503
        body = dependencies.json()
        assert body["status"] == "degraded"
        assert set(body["dependencies"]) == set(conf.DEPENDENCIES)
        assert body["dependencies"]["redis-cache"] is False
    finally:
        env.redis_up()
        env.wait_for(conf.BASELINE, "redis-cache back")


def test_one_warning_names_the_shadowed_path(env: Environment) -> None:
    """Our /health view stands aside for the app's route, and says so once, with the way out."""
    lines = env.log.read_text().splitlines()
    shadowed = [
        line
        for line in lines
        if line.startswith("WARNING") and re.search(r"/health(?![\w/-])", line)
    ]
    assert len(shadowed) == 1, lines
    assert "prefix=" in shadowed[0] or "paths=" in shadowed[0]


def test_metrics_served_at_the_default_path(env: Environment) -> None:
    """``app.add_middleware(DepHealthMiddleware)`` with no argument serves /metrics, as
    dephealth's did, in the Prometheus text format."""
    response = env.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "app_dependency_health{" in response.text


def test_no_secret_reaches_the_log_or_the_metrics(env: Environment) -> None:
    """The service's passwords, tokens and keys appear neither in its log nor in /metrics."""
    secrets = ("test-token-123", "my-secret-key", "wrongpassword", "wrong-token")
    exposed = env.get("/metrics").text + env.log.read_text()
    for secret in secrets:
        assert secret not in exposed, secret
