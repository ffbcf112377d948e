"""HTTP URL credentials: basic auth for the check, and in no log line of any logger at DEBUG.

A real HTTP server on loopback accepts only the expected ``Authorization`` and echoes it back
in a response header, which is what httpcore logs at DEBUG.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from urllib.parse import quote

import pytest

from dephealth_core import DependencyHealth, http_check
from tests.reliability.secrets_support import every_log_record, leaks, log_texts, secret_forms
from tests.support.stubs import HttpStubServer

PASSWORD = "Hx7/p@ss?#%w0rd"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class _Handler(BaseHTTPRequestHandler):
    expected = basic("probe", PASSWORD)

    def do_GET(self) -> None:
        received = self.headers.get("Authorization", "")
        self.send_response(200 if received == self.expected else 401)
        self.send_header("X-Echo-Authorization", received)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[int]:
    with HttpStubServer(_Handler) as stub:
        yield stub.port


def one_round(*dependencies: object) -> dict[str, str]:
    engine = DependencyHealth("svc", "team", *dependencies, metrics=False, environ={})  # type: ignore[arg-type]

    async def run() -> dict[str, str]:
        try:
            statuses = await engine.check_now()
        finally:
            await engine.stop()
        return {key.split(":")[0]: status.detail for key, status in statuses.items()}

    return asyncio.run(run())


def test_url_credentials_authenticate_the_check(server: int) -> None:
    """http://probe:<encoded>@host/ sends basic auth: the server accepts it, the check is ok."""
    url = f"http://probe:{quote(PASSWORD, safe='')}@127.0.0.1:{server}/health"
    wrong = f"http://probe:wrong@127.0.0.1:{server}/health"
    details = one_round(
        http_check("api", url=url, critical=True), http_check("api-wrong", url=wrong, critical=True)
    )
    assert details == {"api": "ok", "api-wrong": "auth_error"}


def test_explicit_basic_auth_wins_over_url_credentials(server: int) -> None:
    """The contract's priority: explicit options, then URL credentials."""
    url = f"http://probe:wrong@127.0.0.1:{server}/health"
    details = one_round(http_check("api", url=url, basic_auth=("probe", PASSWORD), critical=True))
    assert details == {"api": "ok"}


def test_no_logger_records_the_credentials_even_when_the_server_echoes_them(server: int) -> None:
    """httpcore at DEBUG logs response headers: ours are hidden while a check runs."""
    url = f"http://probe:{quote(PASSWORD, safe='')}@127.0.0.1:{server}/health"
    with every_log_record() as records:
        details = one_round(http_check("api", url=url, critical=True))
    assert details == {"api": "ok"}
    texts = log_texts(records)
    assert any(record.name.startswith("httpcore") for record in records), "httpcore logged nothing"
    assert leaks(secret_forms(PASSWORD, users=("probe",)), texts) == []
