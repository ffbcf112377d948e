"""Every gRPC status code a health check can end with, against ``spec/check-behavior.md``.

The spec names: a deadline (the check's timeout) -> ``timeout``; ``UNAUTHENTICATED`` and
``PERMISSION_DENIED`` -> ``auth_error``; ``NOT_FOUND``, the health protocol's answer for a
service it does not know (``SERVICE_UNKNOWN``) -> ``unhealthy``/``grpc_unknown``; a transport
failure (``UNAVAILABLE``) by its cause: refused, DNS, TLS. Any other status, ``UNIMPLEMENTED``
included (a server without the health service, or an ``:authority`` routed elsewhere), is
``error``/``error``, as the spec's fallback and dephealth say.
"""

from __future__ import annotations

import grpc
import pytest

from dephealth_core.checks._grpc import classify_rpc_error

SPEC = {
    grpc.StatusCode.OK: ("error", "error"),  # an OK status with no SERVING answer is no success
    grpc.StatusCode.CANCELLED: ("error", "error"),
    grpc.StatusCode.UNKNOWN: ("error", "error"),
    grpc.StatusCode.INVALID_ARGUMENT: ("error", "error"),
    grpc.StatusCode.DEADLINE_EXCEEDED: ("timeout", "timeout"),
    grpc.StatusCode.NOT_FOUND: ("unhealthy", "grpc_unknown"),
    grpc.StatusCode.ALREADY_EXISTS: ("error", "error"),
    grpc.StatusCode.PERMISSION_DENIED: ("auth_error", "auth_error"),
    grpc.StatusCode.RESOURCE_EXHAUSTED: ("error", "error"),
    grpc.StatusCode.FAILED_PRECONDITION: ("error", "error"),
    grpc.StatusCode.ABORTED: ("error", "error"),
    grpc.StatusCode.OUT_OF_RANGE: ("error", "error"),
    grpc.StatusCode.UNIMPLEMENTED: ("error", "error"),
    grpc.StatusCode.INTERNAL: ("error", "error"),
    grpc.StatusCode.UNAVAILABLE: ("error", "error"),  # no recognisable transport cause
    grpc.StatusCode.DATA_LOSS: ("error", "error"),
    grpc.StatusCode.UNAUTHENTICATED: ("auth_error", "auth_error"),
}

UNAVAILABLE_CAUSES = {
    "failed to connect to all addresses; last error: UNAVAILABLE: ipv4:127.0.0.1:1: "
    "Connection refused": ("connection_error", "connection_refused"),
    "DNS resolution failed for nowhere.invalid:443": ("dns_error", "dns_error"),
    "Ssl handshake failed: SSL_ERROR_SSL: CERTIFICATE_VERIFY_FAILED": ("tls_error", "tls_error"),
}


class RpcError(grpc.RpcError):
    """What grpc.aio raises: a status code and the server's or transport's details."""

    def __init__(self, code: grpc.StatusCode, details: str = "") -> None:
        self._code, self._details = code, details

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details


def test_every_status_code_is_listed() -> None:
    assert set(SPEC) == set(grpc.StatusCode)


@pytest.mark.parametrize("code", list(SPEC), ids=[c.name for c in SPEC])
def test_status_code_maps_as_the_spec_says(code: grpc.StatusCode) -> None:
    error = classify_rpc_error(RpcError(code, "some server text"))
    assert (error.status_category, error.status_detail) == SPEC[code]


@pytest.mark.parametrize("details", list(UNAVAILABLE_CAUSES))
def test_unavailable_is_read_by_its_cause(details: str) -> None:
    error = classify_rpc_error(RpcError(grpc.StatusCode.UNAVAILABLE, details))
    assert (error.status_category, error.status_detail) == UNAVAILABLE_CAUSES[details]
