"""HTTP checks with httpx: a status in ``expected_statuses`` is a healthy endpoint."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Unpack

from .. import __about__
from .._dependency import Dependency, Endpoint, EndpointOptions, Kind, Target, option_error
from .._exceptions import AuthError, CheckTimeout, TlsError, Unhealthy
from .._urls import format_host
from ._auth import (
    AuthHeaderOptions,
    TlsOptions,
    TlsSettings,
    authorization,
    basic_header,
    string_map,
    tls_settings,
)
from ._factories import declares
from ._quiet_logs import install as install_log_filters
from ._quiet_logs import quiet_third_party_logs

if TYPE_CHECKING:
    import httpx

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "OPTIONS", "PATCH", "DELETE"})


class HttpCheckOptions(EndpointOptions, TlsOptions, AuthHeaderOptions, total=False):
    """The keywords of :func:`http_check`."""

    health_path: str | None
    method: str | None
    expected_statuses: int | str | Iterable[int | str] | None
    headers: Mapping[str, str] | None
    host_header: str | None


@dataclass(frozen=True, slots=True)
class HttpOptions:
    """The validated options of one HTTP dependency."""

    path: str
    method: str
    statuses: frozenset[int]
    tls: TlsSettings
    headers: dict[str, str] = field(repr=False)


def parse_statuses(value: Any, dependency: Dependency) -> frozenset[int]:
    """``200``, ``[200, 204]``, ``"200-299"`` or ``"200,204,300-399"`` as a set of codes."""
    if value is None:
        return frozenset(range(200, 300))
    items: Iterable[Any]
    if isinstance(value, int) and not isinstance(value, bool):
        items = [value]
    elif isinstance(value, str):
        items = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, Iterable):
        items = list(value)
    else:
        raise option_error(dependency, "expected_statuses", "expected codes such as [200, 204]")
    codes: set[int] = set()
    for item in items:
        if isinstance(item, str) and "-" in item:
            low_text, _, high_text = item.partition("-")
            if not (low_text.strip().isdecimal() and high_text.strip().isdecimal()):
                raise option_error(dependency, "expected_statuses", f"invalid range {item!r}")
            low, high = int(low_text), int(high_text)
            # Bounds first: "100-99999999" would build a set of a hundred million codes.
            if not (100 <= low <= 599 and 100 <= high <= 599):
                raise option_error(
                    dependency, "expected_statuses", "codes must be between 100 and 599"
                )
            codes.update(range(low, high + 1))
        elif isinstance(item, str) and item.isdecimal():
            codes.add(int(item))
        elif isinstance(item, int) and not isinstance(item, bool):
            codes.add(item)
        else:
            raise option_error(dependency, "expected_statuses", f"invalid status {item!r}")
    if not codes or not all(100 <= code <= 599 for code in codes):
        raise option_error(dependency, "expected_statuses", "codes must be between 100 and 599")
    return frozenset(codes)


def http_options(dependency: Dependency, target: Target | None = None) -> HttpOptions:
    """Validate and normalise an HTTP dependency's options."""
    opts = dependency.options
    path = opts.get("health_path")
    if path is None:
        url_path = target.path if target is not None else ""
        path = url_path if url_path not in ("", "/") else "/health"
    if not isinstance(path, str) or not path.startswith("/"):
        raise option_error(dependency, "health_path", "must be a path starting with '/'")
    if target is not None and target.query and "?" not in path:
        path = path + "?" + "&".join(f"{k}={v}" for k, v in target.query.items())
    method = opts.get("method", "GET")
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise option_error(dependency, "method", f"unsupported method {method!r}")
    headers = string_map(dependency, "headers")
    auth = authorization(dependency, headers)
    if auth is None and target is not None and (target.username or target.password):
        # The config contract: URL credentials authenticate a standalone check, below the
        # explicit options (which win when given).
        auth = basic_header(target.username or "", target.password or "")
    if auth is not None and not any(key.lower() == "authorization" for key in headers):
        headers["Authorization"] = auth
    host_header = opts.get("host_header")
    if host_header is not None:
        if not isinstance(host_header, str) or not host_header:
            raise option_error(dependency, "host_header", "expected a host name")
        headers["Host"] = host_header
    if not any(key.lower() == "user-agent" for key in headers):
        headers["User-Agent"] = f"dephealth-suite/{__about__.__version__}"
    return HttpOptions(
        path=path,
        method=method.upper(),
        statuses=parse_statuses(opts.get("expected_statuses"), dependency),
        tls=tls_settings(dependency, target, "https"),
        headers=headers,
    )


class HttpChecker:
    """Sends one request per check; the status code decides. The body is never read."""

    def __init__(self, options: HttpOptions) -> None:
        self.options = options
        install_log_filters()
        # Loading CA certificates and httpx's transport costs hundreds of milliseconds: pay it
        # here, at construction, not on the event loop inside the first check's timeout.
        self._ssl = options.tls.context() if options.tls.enabled else None
        self._client: httpx.AsyncClient | None = self._new_client()
        self._client_loop: asyncio.AbstractEventLoop | None = None

    def _new_client(self) -> httpx.AsyncClient:
        import httpx

        return httpx.AsyncClient(
            verify=self._ssl if self._ssl is not None else True,
            follow_redirects=True,
            max_redirects=5,
            timeout=None,
            trust_env=False,
            limits=httpx.Limits(max_keepalive_connections=4, keepalive_expiry=30.0),
        )

    def _get_client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._client_loop is None:
            self._client_loop = loop
        if self._client is None or self._client_loop is not loop:
            # A client is bound to the loop of its first request.
            self._client = self._new_client()
            self._client_loop = loop
        return self._client

    async def check(self, endpoint: Endpoint) -> None:
        """Request the health path of ``endpoint``."""
        import httpx

        opts = self.options
        scheme = "https" if opts.tls.enabled else "http"
        url = f"{scheme}://{format_host(endpoint.host)}:{endpoint.port}{opts.path}"
        client = self._get_client()
        request = client.build_request(opts.method, url, headers=opts.headers)
        with quiet_third_party_logs():
            try:
                response = await client.send(request, stream=True)
            except httpx.TimeoutException as exc:
                raise CheckTimeout("no response in time") from exc
            except httpx.ConnectError as exc:
                if _is_tls_failure(exc):
                    raise TlsError("TLS handshake failed") from exc
                raise
            try:
                code = response.status_code
            finally:
                await response.aclose()
        if code in opts.statuses:
            return
        if code in (401, 403):
            raise AuthError(f"HTTP {code}")
        raise Unhealthy(f"HTTP {code}", detail=f"http_{code}")

    async def aclose(self) -> None:
        """Close the HTTP client."""
        client, self._client = self._client, None
        if client is not None:
            try:
                await client.aclose()
            except RuntimeError:
                pass  # created on a loop that is gone


def _is_tls_failure(exc: BaseException) -> bool:
    current: BaseException | None = exc
    seen = 0
    while current is not None and seen < 16:
        if isinstance(current, ssl.SSLError | ssl.CertificateError):
            return True
        current = current.__cause__ or current.__context__
        seen += 1
    text = str(exc).lower()
    return "certificate" in text or "ssl" in text or "tls" in text


def _make_checker(dependency: Dependency, target: Target) -> HttpChecker:
    # httpx imports its async transport lazily on the first request; import it now.
    import anyio._backends._asyncio  # noqa: F401
    import httpcore._async.connection_pool  # noqa: F401

    options = http_options(dependency, target)
    try:
        return HttpChecker(options)
    except OSError as exc:  # ssl.SSLError included
        if options.tls.ca_file is None:
            raise
        reason = exc.strerror or type(exc).__name__
        raise option_error(
            dependency, "tls_ca_file", f"cannot load {options.tls.ca_file!r}: {reason}"
        ) from None


HTTP_KIND = Kind(
    type="http",
    default_port=80,
    make_checker=_make_checker,
    settings=http_options,
    tls_default_port=443,
    declaration=HttpCheckOptions,
)


@declares(HTTP_KIND)
def http_check(name: str, **options: Unpack[HttpCheckOptions]) -> Dependency:
    """Declare an HTTP dependency, healthy when its health path answers an expected status.

    Args:
        url: ``http(s)://host[:port][/path]``; a path here is the health path.
        host: the host, instead of ``url``; ``port`` defaults to 80 (443 with ``tls``).
        port: the port, with ``host`` (default 80; 443 with ``tls``).
        health_path: the path requested (default ``/health``).
        method: the HTTP method (default ``GET``).
        expected_statuses: healthy codes (default 200-299): ``[200, 204]``, ``"200-399"``.
        headers: extra request headers.
        bearer_token: sends ``Authorization: Bearer <token>``.
        basic_auth: ``(username, password)``: sends basic credentials.
        host_header: the ``Host`` header, for virtual hosts behind an address.
        tls: use HTTPS (implied by ``https://``).
        tls_skip_verify: do not verify the server certificate.
        tls_ca_file: a CA bundle to verify the server certificate with.
    """
    if options.get("host") is not None and options.get("port") is None and options.get("tls"):
        options["port"] = HTTP_KIND.tls_default_port
    return HTTP_KIND.declare(name, options)
