"""ldap3 errors and result codes as classified errors: the only place that knows them."""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Iterator
from typing import Any

from .._exceptions import (
    AuthError,
    CheckError,
    CheckTimeout,
    ConnectionRefused,
    DnsError,
    TlsError,
    Unhealthy,
)
from ._drivers import platform_error

#: Result codes that mean the server works but will not serve now: ``unhealthy``.
_UNAVAILABLE_RESULTS = frozenset({51, 52, 53, 80})
#: invalidCredentials, insufficientAccessRights, inappropriateAuthentication.
_AUTH_RESULTS = frozenset({48, 49, 50})


@contextlib.contextmanager
def ldap_errors(*, start_tls: bool = False) -> Iterator[None]:
    """Turn ldap3 errors into classified ones: the only place that knows them.

    With ``start_tls``, a refused StartTLS operation (a server without TLS) is a TLS error.
    """
    from ldap3.core import exceptions as lx

    try:
        yield
    except CheckError:
        raise
    except lx.LDAPOperationResult as exc:
        if start_tls:
            raise TlsError("the LDAP server refused StartTLS") from exc
        code = getattr(exc, "result", None)
        if code in _AUTH_RESULTS:
            raise AuthError("the LDAP server rejected the bind") from exc
        if code in _UNAVAILABLE_RESULTS:
            raise Unhealthy("the LDAP server is busy or unavailable") from exc
        raise CheckError(f"the LDAP operation failed with result {code}") from exc
    except (lx.LDAPStartTLSError, lx.LDAPSSLConfigurationError, ssl.SSLError) as exc:
        raise TlsError("TLS with the LDAP server failed") from exc
    except lx.LDAPCommunicationError as exc:
        raise _communication_error(exc) from exc
    except lx.LDAPResponseTimeoutError as exc:
        raise CheckTimeout("the LDAP server did not answer in time") from exc


def _communication_error(exc: BaseException) -> CheckError:
    # ldap3 re-raises socket errors as classes deriving from both its own error and the
    # socket error's type, but without the errno, and keeps no cause chain.
    text = str(exc).lower()
    if isinstance(exc, TimeoutError) or "timed out" in text:
        return CheckTimeout("the LDAP server did not answer in time")
    if isinstance(exc, ConnectionRefusedError) or "refused" in text:
        return ConnectionRefused("the LDAP server refused the connection")
    if "invalid server address" in text:
        return DnsError("cannot resolve the LDAP server's name")
    if "ssl" in text or "tls" in text or "certificate" in text or "handshake" in text:
        return TlsError("TLS with the LDAP server failed")
    return platform_error(exc, "cannot talk to the LDAP server", default="connection_refused")


def raise_for_result(result: Any) -> None:
    # Connections built with raise_exceptions=False (an app's, often) report failures in
    # ``result`` only; 0 success, 3 time limit, 4 size limit: the server answered.
    from ldap3.core.exceptions import LDAPOperationResult

    code = result.get("result") if isinstance(result, dict) else None
    if code is None or code in (0, 3, 4):
        return
    error = LDAPOperationResult(result=code, description=result.get("description"))
    with ldap_errors():
        raise error
