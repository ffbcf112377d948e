"""Classification of exceptions into contract details.

The chain follows the dephealth contract: a :class:`CheckError` carries its own detail; platform
errors (timeouts, resolver, socket and TLS errors) are recognised anywhere in the exception's
cause chain; anything else is ``error``.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl

from ._exceptions import CheckError

_MAX_CHAIN = 16

_ERRNO_DETAILS = {
    errno.ECONNREFUSED: "connection_refused",
    errno.ENETUNREACH: "network_unreachable",
    errno.EHOSTUNREACH: "host_unreachable",
    errno.ENETDOWN: "network_unreachable",
    errno.EHOSTDOWN: "host_unreachable",
    errno.ECONNRESET: "connection_reset",
    errno.ECONNABORTED: "connection_reset",
    errno.EPIPE: "connection_reset",
    errno.ETIMEDOUT: "timeout",
}


def _classify_one(exc: BaseException) -> str | None:
    if isinstance(exc, CheckError):
        return exc.detail
    if isinstance(exc, TimeoutError | asyncio.TimeoutError | socket.timeout):
        return "timeout"
    if isinstance(exc, socket.gaierror):
        return "dns_error"
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return "tls_error"
    if isinstance(exc, ConnectionRefusedError):
        return "connection_refused"
    if isinstance(exc, OSError) and exc.errno is not None:
        return _ERRNO_DETAILS.get(exc.errno)
    return None


def classify(exc: BaseException) -> str:
    """Return the contract detail for an exception raised by a check.

    The exception and its ``__cause__``/``__context__`` chain are examined, outermost first,
    so a driver error that wraps a refused socket still reads ``connection_refused``.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < _MAX_CHAIN:
        seen.add(id(current))
        detail = _classify_one(current)
        if detail is not None:
            return detail
        current = current.__cause__ or current.__context__
    return "error"
