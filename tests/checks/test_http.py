"""HTTP checks against real in-process servers: every detail the checker can produce."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from dephealth_core import DependencyHealth, EndpointStatus, http_check
from tests.support.stubs import HttpStubServer
from tests.support.tls import HttpsServer

from .servers import black_hole, refused_port


async def check_once(dependency: object, timeout: float = 3.0) -> EndpointStatus:
    dh = DependencyHealth(
        "svc",
        "team",
        dependency,  # type: ignore[arg-type]
        check_interval=10,
        timeout=timeout,
        environ={},
        registry=CollectorRegistry(),
    )
    details = await dh.check_now()
    (status,) = details.values()
    return status


@pytest.mark.parametrize(
    ("code", "status", "detail"),
    [
        (200, "ok", "ok"),
        (204, "ok", "ok"),
        (500, "unhealthy", "http_500"),
        (503, "unhealthy", "http_503"),
        (404, "unhealthy", "http_404"),
        (401, "auth_error", "auth_error"),
        (403, "auth_error", "auth_error"),
    ],
)
async def test_status_codes(code: int, status: str, detail: str) -> None:
    """2xx is healthy; 401/403 are auth_error; other codes are http_NNN."""
    with HttpStubServer(routes={"/health": code}) as server:
        result = await check_once(
            http_check("api", url=f"http://127.0.0.1:{server.port}", critical=True)
        )
    assert (result.status, result.detail) == (status, detail)


async def test_redirects_are_followed() -> None:
    """A 302 to a healthy path is healthy."""
    with HttpStubServer(routes={"/old": 302, "/health": 200}) as server:
        result = await check_once(
            http_check("api", host="127.0.0.1", port=server.port, health_path="/old", critical=True)
        )
    assert result.detail == "ok"


async def test_options_reach_the_server() -> None:
    """health_path, headers, bearer token and Host header are sent as configured."""
    with HttpStubServer(routes={"/ready": 200}) as server:
        result = await check_once(
            http_check(
                "api",
                url=f"http://127.0.0.1:{server.port}",
                health_path="/ready",
                headers={"X-Probe": "yes"},
                bearer_token="tok-1",
                host_header="api.internal",
                critical=True,
            )
        )
        _, path, headers = server.requests[0]
    assert result.detail == "ok"
    assert path == "/ready"
    assert headers["X-Probe"] == "yes"
    assert headers["Authorization"] == "Bearer tok-1"
    assert headers["Host"] == "api.internal"
    assert headers["User-Agent"].startswith("dephealth-suite/")


async def test_expected_statuses() -> None:
    """expected_statuses widens what counts as healthy."""
    with HttpStubServer(routes={"/health": 503}) as server:
        result = await check_once(
            http_check(
                "api",
                host="127.0.0.1",
                port=server.port,
                expected_statuses="200-299,503",
                critical=True,
            )
        )
    assert result.detail == "ok"


async def test_refused() -> None:
    """Nothing listening is connection_refused."""
    result = await check_once(
        http_check("api", url=f"http://127.0.0.1:{refused_port()}", critical=True)
    )
    assert (result.status, result.detail) == ("connection_error", "connection_refused")


async def test_unresolvable_name() -> None:
    """A name under .invalid is dns_error."""
    result = await check_once(http_check("api", url="http://api.invalid", critical=True))
    assert (result.status, result.detail) == ("dns_error", "dns_error")


async def test_server_that_never_answers_is_timeout() -> None:
    """A server that accepts and never answers times out."""
    with black_hole() as port:
        result = await check_once(
            http_check("api", url=f"http://127.0.0.1:{port}", critical=True), timeout=0.3
        )
    assert (result.status, result.detail) == ("timeout", "timeout")
    assert 0.25 < result.latency < 1.0


async def test_self_signed_certificate_is_tls_error() -> None:
    """An HTTPS server whose certificate the client does not trust is tls_error."""
    with HttpsServer("self_signed") as server:
        result = await check_once(
            http_check("api", url=f"https://127.0.0.1:{server.port}", critical=True)
        )
    assert (result.status, result.detail) == ("tls_error", "tls_error")


async def test_tls_skip_verify_and_ca_file() -> None:
    """tls_skip_verify accepts the certificate; tls_ca_file verifies it properly."""
    with HttpsServer() as server:
        url = f"https://127.0.0.1:{server.port}"
        skipped = await check_once(http_check("api", url=url, tls_skip_verify=True, critical=True))
        verified = await check_once(
            http_check("api", url=url, tls_ca_file=str(server.ca_pem), critical=True)
        )
    assert skipped.detail == "ok"
    assert verified.detail == "ok"


async def test_plain_http_to_a_tls_server_is_not_ok() -> None:
    """Speaking plain HTTP to an HTTPS port fails rather than passing."""
    with HttpsServer() as server:
        result = await check_once(
            http_check("api", url=f"http://127.0.0.1:{server.port}", critical=True)
        )
    assert result.healthy is False
