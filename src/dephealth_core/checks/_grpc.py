"""gRPC checks with the standard health protocol (``grpc.health.v1.Health/Check``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Unpack

from .._dependency import Dependency, Endpoint, EndpointOptions, Kind, Target, option_error
from .._exceptions import (
    AuthError,
    CheckError,
    CheckTimeout,
    ConnectionRefused,
    DnsError,
    TlsError,
    Unhealthy,
)
from .._urls import format_host
from ._auth import (
    AuthHeaderOptions,
    TlsOptions,
    TlsSettings,
    authorization,
    string_map,
    tls_settings,
)
from ._declaration import Expects
from ._drivers import check_timeout
from ._factories import declares


class GrpcCheckOptions(EndpointOptions, TlsOptions, AuthHeaderOptions, total=False):
    """The keywords of :func:`grpc_check`."""

    service_name: Annotated[str | None, Expects("a string")]
    authority: str | None
    metadata: Mapping[str, str] | None


@dataclass(frozen=True, slots=True)
class GrpcOptions:
    """The validated options of one gRPC dependency."""

    service_name: str
    authority: str | None
    tls: TlsSettings
    metadata: tuple[tuple[str, str], ...] = field(repr=False)


def grpc_options(dependency: Dependency, target: Target | None = None) -> GrpcOptions:
    """Validate and normalise a gRPC dependency's options."""
    opts = dependency.options
    service = opts.get("service_name", "")
    authority = opts.get("authority")
    if authority is not None and (not isinstance(authority, str) or not authority):
        raise option_error(dependency, "authority", "expected a host name")
    metadata = {key.lower(): value for key, value in string_map(dependency, "metadata").items()}
    auth = authorization(dependency, metadata)
    if auth is not None:
        metadata["authorization"] = auth
    tls = tls_settings(dependency, target, "grpcs")
    if tls.skip_verify:
        # grpcio offers no switch to accept any certificate; pinning the CA is the way.
        raise option_error(
            dependency,
            "tls_skip_verify",
            "grpcio cannot skip certificate verification; give tls_ca_file with the "
            "server's CA (or its self-signed certificate) instead",
        )
    return GrpcOptions(
        service_name=service,
        authority=authority,
        tls=tls,
        metadata=tuple(metadata.items()),
    )


class GrpcChecker:
    """Opens a channel per check and calls ``Health/Check`` for ``service_name``."""

    def __init__(self, options: GrpcOptions, timeout: float = 5.0) -> None:
        self.options = options
        self._credentials: Any = None
        self._connect_ms = max(100, int(timeout * 1000))

    def _channel(self, target: str) -> Any:
        from grpc import aio, ssl_channel_credentials

        channel_options: list[tuple[str, Any]] = [
            ("grpc.enable_retries", 0),
            # gRPC gives a connection attempt max(min_reconnect_backoff, initial backoff),
            # 20 s by default, and keeps its socket that long even once the channel is
            # closed: a black-holed server would collect one socket per check. Bound the
            # attempt by the check's own timeout.
            ("grpc.min_reconnect_backoff_ms", self._connect_ms),
            ("grpc.initial_reconnect_backoff_ms", self._connect_ms),
        ]
        if self.options.authority is not None:
            channel_options.append(("grpc.default_authority", self.options.authority))
            if self.options.tls.enabled:
                channel_options.append(("grpc.ssl_target_name_override", self.options.authority))
        if not self.options.tls.enabled:
            return aio.insecure_channel(target, options=channel_options)
        if self._credentials is None:
            root = None
            if self.options.tls.ca_file is not None:
                with open(self.options.tls.ca_file, "rb") as handle:
                    root = handle.read()
            self._credentials = ssl_channel_credentials(root_certificates=root)
        return aio.secure_channel(target, self._credentials, options=channel_options)

    async def check(self, endpoint: Endpoint) -> None:
        """Call the health service of ``endpoint``."""
        import grpc
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        target = f"{format_host(endpoint.host)}:{endpoint.port}"
        channel = self._channel(target)
        try:
            stub = health_pb2_grpc.HealthStub(channel)
            request = health_pb2.HealthCheckRequest(service=self.options.service_name)
            try:
                response = await stub.Check(
                    request, metadata=self.options.metadata or None, wait_for_ready=False
                )
            except grpc.aio.AioRpcError as exc:
                raise classify_rpc_error(exc) from None
            if response.status == health_pb2.HealthCheckResponse.SERVING:
                return
            if response.status == health_pb2.HealthCheckResponse.NOT_SERVING:
                raise Unhealthy("NOT_SERVING", detail="grpc_not_serving")
            raise Unhealthy(
                health_pb2.HealthCheckResponse.ServingStatus.Name(response.status),
                detail="grpc_unknown",
            )
        finally:
            await channel.close(grace=None)


def classify_rpc_error(exc: Any) -> CheckError:
    """Map a failed RPC to a classified error, by status code and transport reason."""
    import grpc

    code = exc.code()
    text = (exc.details() or "").lower()
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return CheckTimeout("deadline exceeded")
    if code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
        return AuthError(code.name)
    if code == grpc.StatusCode.NOT_FOUND:
        return Unhealthy("service unknown to the health server", detail="grpc_unknown")
    if code == grpc.StatusCode.UNAVAILABLE:
        if any(
            word in text
            for word in ("dns", "resolving", "resolution", "lookup", "name or service not known")
        ):
            return DnsError("cannot resolve the target")
        if "ssl" in text or "tls" in text or "handshake" in text or "certificate" in text:
            return TlsError("TLS handshake failed")
        if "refused" in text:
            return ConnectionRefused("connection refused")
        if "unreachable" in text:
            return CheckError("network unreachable", detail="network_unreachable")
        if "timeout" in text or "timed out" in text or "deadline" in text:
            return CheckTimeout("connect timed out")
        return CheckError("the server is unavailable")
    # Everything else, UNIMPLEMENTED included (no health service, or an :authority routed
    # elsewhere), is error/error: the fallback of spec/check-behavior.md 6.2.1, as dephealth.
    return CheckError(f"RPC failed with {code.name}")


def _make_checker(dependency: Dependency, target: Target) -> GrpcChecker:
    try:
        import grpc  # noqa: F401
        from grpc_health.v1 import health_pb2  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            "gRPC checks need grpcio and grpcio-health-checking: "
            "pip install 'dephealth-suite[grpc]'"
        ) from exc
    return GrpcChecker(grpc_options(dependency, target), check_timeout(dependency))


GRPC_KIND = Kind(
    type="grpc",
    default_port=443,
    make_checker=_make_checker,
    settings=grpc_options,
    declaration=GrpcCheckOptions,
)


@declares(GRPC_KIND)
def grpc_check(name: str, **options: Unpack[GrpcCheckOptions]) -> Dependency:
    """Declare a gRPC dependency checked with the standard health service.

    Args:
        url: ``grpc://host:port`` (``grpcs://`` for TLS); the default port is 443.
        service_name: the service asked about (default ``""``: the server as a whole).
        authority: the ``:authority`` (and TLS server name) to present.
        tls: use TLS; ``tls_ca_file`` verifies with a given CA.
        tls_skip_verify: not supported by grpcio; pin the CA with ``tls_ca_file``.
        tls_ca_file: a CA bundle (or the server's self-signed certificate) to verify with.
        metadata: extra call metadata.
        bearer_token: sends ``authorization: Bearer <token>``.
        basic_auth: ``(username, password)``: sends basic credentials.
    """
    return GRPC_KIND.declare(name, options)
