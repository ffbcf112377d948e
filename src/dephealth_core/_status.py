"""Status categories and detail values of the dephealth contract.

Every check ends with a *detail* (the specific reason) that maps to exactly one *status*
category. The eight categories are exported as the ``status`` label of
``app_dependency_status``; ``unknown`` exists only for endpoints not yet checked.
"""

from __future__ import annotations

import re
from typing import Final

OK: Final = "ok"
TIMEOUT: Final = "timeout"
CONNECTION_ERROR: Final = "connection_error"
DNS_ERROR: Final = "dns_error"
AUTH_ERROR: Final = "auth_error"
TLS_ERROR: Final = "tls_error"
UNHEALTHY: Final = "unhealthy"
ERROR: Final = "error"
UNKNOWN: Final = "unknown"

#: The eight categories in contract order: each endpoint exports one series per value.
STATUS_CATEGORIES: Final[tuple[str, ...]] = (
    OK,
    TIMEOUT,
    CONNECTION_ERROR,
    DNS_ERROR,
    AUTH_ERROR,
    TLS_ERROR,
    UNHEALTHY,
    ERROR,
)

_DETAIL_TO_STATUS: Final[dict[str, str]] = {
    "ok": OK,
    "timeout": TIMEOUT,
    "connection_refused": CONNECTION_ERROR,
    "network_unreachable": CONNECTION_ERROR,
    "host_unreachable": CONNECTION_ERROR,
    # Not in the contract's list: a peer that dropped the connection mid-check.
    "connection_reset": CONNECTION_ERROR,
    "dns_error": DNS_ERROR,
    "auth_error": AUTH_ERROR,
    "tls_error": TLS_ERROR,
    "grpc_not_serving": UNHEALTHY,
    "grpc_unknown": UNHEALTHY,
    "unhealthy": UNHEALTHY,
    "no_brokers": UNHEALTHY,
    "error": ERROR,
    "pool_exhausted": ERROR,
    "query_error": ERROR,
}

_HTTP_DETAIL = re.compile(r"http_[1-5][0-9][0-9]")


def status_of(detail: str) -> str:
    """Return the status category a detail value belongs to.

    Unknown details fall back to ``error``, as the contract's classification chain does.
    """
    status = _DETAIL_TO_STATUS.get(detail)
    if status is not None:
        return status
    if _HTTP_DETAIL.fullmatch(detail):
        return UNHEALTHY
    return ERROR
