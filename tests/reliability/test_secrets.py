"""Secrets never leak: not in a response, a metric label, a log record or a repr.

For each kind of checker, dependencies carry a secret the way users give them (a password in
the URL or as an option, a bearer token, basic credentials, headers or metadata, an LDAP bind
password) and fail in the ways that put it closest to the surface: a real server refusing it,
a server that quotes it back in its error (so the driver's exception holds it), a refused
connection. Every view is then read with details on, metrics included, every log record is
captured at DEBUG from every logger, and the reprs are printed: the secret is in none.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from prometheus_client import CollectorRegistry

from dephealth_core import (
    Dependency,
    DependencyHealth,
    HealthViews,
    amqp_check,
    grpc_check,
    http_check,
    kafka_check,
    ldap_check,
    mysql_check,
    postgres_check,
    redis_check,
    tcp_check,
)
from tests.support._process import poll_until
from tests.support.app_servers import served_together
from tests.support.ports import free_port
from tests.support.stubs import (
    EchoHandler,
    GrpcStubServer,
    HttpStubServer,
    PostgresEchoServer,
    RedisEchoServer,
)

from .adapters import ADAPTERS, APPS
from .secrets_support import (
    every_log_record,
    leaks,
    log_texts,
    secret_forms,
    state_texts,
    view_texts,
)

#: URL-special characters included: the secret travels percent-encoded in URLs.
SECRET = f"Sx{secrets.token_hex(6)}/p@ss?#%"
Q = quote(SECRET, safe="")
#: Users that appear next to the secret (basic-auth values are base64 of "user:secret").
USERS = ("user", "dephealth", "root", "guest", "default", "")
Case = tuple[list[Dependency], dict[str, str]]
VIEWS = (
    "/livez",
    "/readyz",
    "/readyz?verbose",
    "/health",
    "/health/dependencies",
    "/health/details",
    "/metrics",
    "/no-such-view",
)


def refused(scheme: str) -> str:
    return f"{scheme}://user:{Q}@127.0.0.1:{free_port()}"


@asynccontextmanager
async def postgres_cases(request: pytest.FixtureRequest) -> AsyncIterator[Case]:
    server = request.getfixturevalue("private_postgres")
    with PostgresEchoServer() as echo:
        base = f"127.0.0.1:{server.port}/{server.database}"
        yield (
            [
                postgres_check("pg-url", url=f"postgres://{server.user}:{Q}@{base}", critical=True),
                postgres_check(
                    "pg-option",
                    host="127.0.0.1",
                    port=server.port,
                    user=server.user,
                    password=SECRET,
                    database=server.database,
                    critical=True,
                ),
                postgres_check(
                    "pg-echo", url=f"postgres://user:{Q}@127.0.0.1:{echo.port}/db", critical=True
                ),
                postgres_check("pg-refused", url=refused("postgres") + "/db", critical=False),
            ],
            {
                "pg-url": "auth_error",
                "pg-option": "auth_error",
                "pg-echo": "auth_error",
                "pg-refused": "connection_refused",
            },
        )


@asynccontextmanager
async def mysql_cases(request: pytest.FixtureRequest) -> AsyncIterator[Case]:
    params = request.getfixturevalue("mysql_params")
    where = f"{params['host']}:{params['port']}/{params['db']}"
    yield (
        [
            mysql_check("mysql-url", url=f"mysql://root:{Q}@{where}", critical=True),
            mysql_check(
                "mysql-option",
                host=params["host"],
                port=params["port"],
                user="root",
                password=SECRET,
                critical=True,
            ),
            mysql_check("mysql-refused", url=refused("mysql") + "/db", critical=False),
        ],
        {
            "mysql-url": "auth_error",
            "mysql-option": "auth_error",
            "mysql-refused": "connection_refused",
        },
    )


@asynccontextmanager
async def redis_cases(request: pytest.FixtureRequest) -> AsyncIterator[Case]:
    import redis.asyncio
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    server = request.getfixturevalue("private_redis")(password="the-right-one")
    client = redis.asyncio.Redis(
        host="127.0.0.1", port=server.port, password=SECRET, retry=Retry(NoBackoff(), 0)
    )
    with RedisEchoServer() as echo:
        yield (
            [
                redis_check(
                    "redis-url", url=f"redis://:{Q}@127.0.0.1:{server.port}/0", critical=True
                ),
                redis_check(
                    "redis-user",
                    url=f"redis://default:{Q}@127.0.0.1:{server.port}/0",
                    critical=True,
                ),
                redis_check(
                    "redis-option",
                    host="127.0.0.1",
                    port=server.port,
                    password=SECRET,
                    critical=True,
                ),
                redis_check(
                    "redis-echo", url=f"redis://:{Q}@127.0.0.1:{echo.port}/0", critical=True
                ),
                redis_check("redis-pool", client=client, critical=True),
                redis_check("redis-refused", url=refused("redis"), critical=False),
            ],
            {
                "redis-url": "auth_error",
                "redis-user": "auth_error",
                "redis-option": "auth_error",
                "redis-echo": "auth_error",
                "redis-pool": "auth_error",
                "redis-refused": "connection_refused",
            },
        )
    await client.aclose()


@asynccontextmanager
async def ldap_cases(request: pytest.FixtureRequest) -> AsyncIterator[Case]:
    slapd = request.getfixturevalue("slapd")
    bind = {"check_method": "simple_bind", "bind_dn": slapd.admin_dn, "bind_password": SECRET}
    yield (
        [
            ldap_check("ldap-bind", url=slapd.url, critical=True, **bind),
            ldap_check(
                "ldap-user", url=slapd.url, critical=True, **{**bind, "bind_dn": slapd.user_dn}
            ),
            ldap_check(
                "ldap-refused", url=f"ldap://127.0.0.1:{free_port()}", critical=False, **bind
            ),
        ],
        {
            "ldap-bind": "auth_error",
            "ldap-user": "auth_error",
            "ldap-refused": "connection_refused",
        },
    )


@asynccontextmanager
async def http_cases(request: pytest.FixtureRequest) -> AsyncIterator[Case]:
    with HttpStubServer(EchoHandler) as echo:
        url = f"http://127.0.0.1:{echo.port}/health"
        yield (
            [
                http_check("http-bearer", url=url, bearer_token=SECRET, critical=True),
                http_check("http-basic", url=url, basic_auth=("user", SECRET), critical=True),
                http_check("http-basic-text", url=url, basic_auth=f"user:{SECRET}", critical=True),
                http_check("http-header", url=url, headers={"X-Api-Key": SECRET}, critical=True),
                http_check(
                    "http-userinfo",
                    url=f"http://user:{Q}@127.0.0.1:{echo.port}/health",
                    critical=True,
                ),
                http_check(
                    "http-refused",
                    url=f"http://127.0.0.1:{free_port()}/health",
                    bearer_token=SECRET,
                    critical=False,
                ),
            ],
            {
                "http-bearer": "auth_error",
                "http-basic": "auth_error",
                "http-basic-text": "auth_error",
                "http-header": "auth_error",
                "http-userinfo": "auth_error",
                "http-refused": "connection_refused",
            },
        )


@asynccontextmanager
async def grpc_cases(request: pytest.FixtureRequest) -> AsyncIterator[Case]:
    with GrpcStubServer("echo") as echo:
        url = f"grpc://127.0.0.1:{echo.port}"
        yield (
            [
                grpc_check("grpc-bearer", url=url, bearer_token=SECRET, critical=True),
                grpc_check("grpc-basic", url=url, basic_auth=("user", SECRET), critical=True),
                grpc_check("grpc-metadata", url=url, metadata={"x-api-key": SECRET}, critical=True),
                grpc_check(
                    "grpc-refused",
                    url=f"grpc://127.0.0.1:{free_port()}",
                    bearer_token=SECRET,
                    critical=False,
                ),
            ],
            {
                "grpc-bearer": "auth_error",
                "grpc-basic": "auth_error",
                "grpc-metadata": "auth_error",
                "grpc-refused": "connection_refused",
            },
        )


@asynccontextmanager
async def amqp_cases(request: pytest.FixtureRequest) -> AsyncIterator[Case]:
    request.getfixturevalue("amqp_url")
    yield (
        [
            amqp_check("amqp-url", url=f"amqp://guest:{Q}@127.0.0.1:5672/", critical=True),
            amqp_check(
                "amqp-option", host="127.0.0.1", username="guest", password=SECRET, critical=True
            ),
            amqp_check("amqp-refused", url=refused("amqp") + "/", critical=False),
        ],
        {
            "amqp-url": "auth_error",
            "amqp-option": "auth_error",
            "amqp-refused": "connection_refused",
        },
    )


@asynccontextmanager
async def kafka_cases(request: pytest.FixtureRequest) -> AsyncIterator[Case]:
    broker = request.getfixturevalue("kafka_broker")
    yield (
        [
            # Kafka checks take no credentials: a URL that has some must not spread them.
            kafka_check(
                "kafka-url", url=f"kafka://user:{Q}@{broker.bootstrap_servers}", critical=True
            ),
            kafka_check("kafka-refused", url=refused("kafka"), critical=False),
        ],
        {"kafka-url": "ok", "kafka-refused": "connection_refused"},
    )


@asynccontextmanager
async def tcp_cases(request: pytest.FixtureRequest) -> AsyncIterator[Case]:
    stub = request.getfixturevalue("tcp_stub")("close")
    yield (
        [
            tcp_check("tcp-url", url=f"tcp://user:{Q}@127.0.0.1:{stub.port}", critical=True),
            tcp_check("tcp-refused", url=refused("tcp"), critical=False),
        ],
        {"tcp-url": "ok", "tcp-refused": "connection_refused"},
    )


CASES: dict[str, Callable[[pytest.FixtureRequest], Any]] = {
    "postgres": postgres_cases,
    "mysql": mysql_cases,
    "redis": redis_cases,
    "ldap": ldap_cases,
    "http": http_cases,
    "grpc": grpc_cases,
    "amqp": amqp_cases,
    "kafka": kafka_cases,
    "tcp": tcp_cases,
}


@pytest.mark.parametrize("kind", list(CASES))
async def test_no_secret_in_views_metrics_logs_or_reprs(
    kind: str, request: pytest.FixtureRequest
) -> None:
    """A secret given to a checker shows in no response, metric, DEBUG log record or repr."""
    async with AsyncExitStack() as stack:
        dependencies, expected = await stack.enter_async_context(CASES[kind](request))
        with every_log_record() as records:
            dh = DependencyHealth(
                "secrets",
                "tests",
                *dependencies,
                check_interval=10,
                timeout=5,
                registry=CollectorRegistry(),
            )
            views = HealthViews(dh, show_details="always", metrics=True)
            await dh.start()
            try:
                await dh.check_now()
                texts = view_texts(dh, views) + state_texts(dh)
            finally:
                await dh.stop()
        texts += log_texts(records)
    seen = {status.name: status.detail for status in dh.health_details().values()}
    assert seen == expected
    assert leaks(secret_forms(SECRET, USERS), texts) == []


@pytest.mark.e2e
def test_no_secret_in_what_an_adapter_serves_or_logs(
    private_postgres: Any,
    private_redis: Callable[..., Any],
    slapd: Any,
    amqp_url: str,
    tmp_path: Path,
) -> None:
    """Served by real servers, logging at DEBUG: no view, metric or log line has a secret."""
    cache = private_redis(password="the-right-one")
    with HttpStubServer(EchoHandler) as http_echo, RedisEchoServer() as redis_echo:
        env = {
            "REL_LOG_LEVEL": "DEBUG",
            "DEPHEALTH_NAME": "secrets",
            "DEPHEALTH_GROUP": "tests",
            "DEPHEALTH_CHECK_INTERVAL": "1",
            "DEPHEALTH_TIMEOUT": "0.9",
            "DEPHEALTH_PG_URL": (
                f"postgres://{private_postgres.user}:{Q}@127.0.0.1:{private_postgres.port}"
                f"/{private_postgres.database}"
            ),
            "DEPHEALTH_REDIS_URL": f"redis://:{Q}@127.0.0.1:{redis_echo.port}/0",
            "DEPHEALTH_API_URL": f"http://127.0.0.1:{http_echo.port}/health",
            "DEPHEALTH_API_BEARER_TOKEN": SECRET,
            "DEPHEALTH_DIRECTORY_URL": slapd.url,
            "DEPHEALTH_DIRECTORY_CHECK_METHOD": "simple_bind",
            "DEPHEALTH_DIRECTORY_BIND_DN": slapd.admin_dn,
            "DEPHEALTH_DIRECTORY_BIND_PASSWORD": SECRET,
            "DEPHEALTH_BROKER_URL": f"amqp://guest:{Q}@127.0.0.1:5672/",
            # Django's own aliases: a database password and a cache URL with one.
            "REL_DB_PORT": str(private_postgres.port),
            "REL_DB_USER": private_postgres.user,
            "REL_DB_NAME": private_postgres.database,
            "REL_DB_PASSWORD": SECRET,
            "REL_CACHE_LOCATION": f"redis://:{Q}@127.0.0.1:{cache.port}/0",
        }
        names = ["pg", "redis", "api", "directory", "broker"]
        for name in names:
            env[f"DEPHEALTH_{name.upper()}_CRITICAL"] = "yes"
        expected = {
            adapter: names
            + (["db-default", "cache-default"] if adapter.startswith("django") else [])
            for adapter in ADAPTERS
        }
        texts: list[str] = []
        seen: dict[str, dict[str, str]] = {}
        with (
            served_together(ADAPTERS, env, tmp_path, app_dir=APPS) as servers,
            httpx.Client(timeout=60) as client,
        ):
            for adapter, server in servers.items():
                url = f"{server.base_url}/health/dependencies"
                poll_until(
                    lambda url=url, adapter=adapter: (
                        client.get(url).json()["dependencies"].keys() >= set(expected[adapter])
                    ),
                    60,
                    f"a result for every dependency of {adapter}",
                )
                details = client.get(f"{server.base_url}/health/details").json()
                seen[adapter] = {s["name"]: s["detail"] for s in details.values()}
                for path in VIEWS:
                    for method in ("GET", "HEAD", "POST"):
                        answer = client.request(method, f"{server.base_url}{path}")
                        head = "".join(f"{k}: {v}\n" for k, v in answer.headers.items())
                        texts.append(f"{method} {path} {answer.status_code}\n{head}\n{answer.text}")
            for server in servers.values():
                server.terminate()
                texts.append(server.output())
    for adapter, names_of in expected.items():
        assert {name: seen[adapter][name] for name in names_of} == dict.fromkeys(
            names_of, "auth_error"
        ), adapter
    assert leaks(secret_forms(SECRET, USERS), texts) == []
    assert not any("Traceback" in server.output() for server in servers.values())
