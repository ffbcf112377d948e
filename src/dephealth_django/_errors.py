"""Driver errors seen through Django's database and cache layers, mapped to contract details.

Django wraps driver errors (``django.db.utils.OperationalError`` from ``psycopg``'s or
``MySQLdb``'s), and neither driver exposes the socket error of a failed connect, so the
detail is read from the SQLSTATE or MySQL error code first and the message second. Only the
detail leaves this module: the driver text (which may echo a DSN) is never re-raised.
"""

from __future__ import annotations

from collections.abc import Iterator

from dephealth_core import (
    AuthError,
    CheckError,
    CheckTimeout,
    ConnectionRefused,
    DnsError,
    HostUnreachable,
    NetworkUnreachable,
    PoolExhausted,
    QueryError,
    TlsError,
    classify,
)

#: MySQL client and server error codes (CR_* and ER_*).
_MYSQL_CODES: dict[int, type[CheckError]] = {
    1044: AuthError,  # ER_DBACCESS_DENIED_ERROR
    1045: AuthError,  # ER_ACCESS_DENIED_ERROR
    1698: AuthError,  # ER_ACCESS_DENIED_NO_PASSWORD_ERROR
    2003: ConnectionRefused,  # CR_CONN_HOST_ERROR
    2002: ConnectionRefused,  # CR_CONNECTION_ERROR (socket)
    2005: DnsError,  # CR_UNKNOWN_HOST
    2013: CheckTimeout,  # CR_SERVER_LOST during connect or query
    2026: TlsError,  # CR_SSL_CONNECTION_ERROR
}

#: Fragments of libpq's connection messages, lower case, checked in order.
_MESSAGES: tuple[tuple[str, type[CheckError]], ...] = (
    ("password authentication failed", AuthError),
    ("no pg_hba.conf entry", AuthError),
    ('role "', AuthError),
    ("connection refused", ConnectionRefused),
    ("could not translate host name", DnsError),
    ("name or service not known", DnsError),
    ("nodename nor servname", DnsError),
    ("temporary failure in name resolution", DnsError),
    ("network is unreachable", NetworkUnreachable),
    ("no route to host", HostUnreachable),
    ("timeout expired", CheckTimeout),
    ("timed out", CheckTimeout),
    ("ssl", TlsError),
    ("certificate", TlsError),
)

_AUTH_SQLSTATES = frozenset({"28000", "28P01"})


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < 16:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def database_error(exc: BaseException, *, connected: bool) -> CheckError:
    """The classified error for a failed database check.

    Args:
        exc: what Django raised.
        connected: whether the connection was open when it failed (then an unrecognised
            error is a ``query_error`` rather than ``error``).
    """
    for error in _chain(exc):
        if isinstance(error, CheckError):
            return error
        if type(error).__name__ == "PoolTimeout":
            return PoolExhausted("no connection free in the database pool")
        sqlstate = getattr(error, "sqlstate", None)
        if sqlstate in _AUTH_SQLSTATES:
            return AuthError("the database rejected the credentials")
        args = getattr(error, "args", ())
        if args and isinstance(args[0], int) and args[0] in _MYSQL_CODES:
            return _MYSQL_CODES[args[0]](f"MySQL error {args[0]}")
    detail = classify(exc)
    if detail != "error":
        return CheckError(f"database check failed: {detail}", detail=detail)
    message = str(exc).lower()
    for fragment, error_type in _MESSAGES:
        if fragment in message:
            return error_type(f"database check failed: {error_type.detail}")
    if connected:
        return QueryError(f"the check query failed ({type(exc).__name__})")
    return CheckError(f"database check failed ({type(exc).__name__})")


def cache_error(exc: BaseException) -> CheckError:
    """The classified error for a failed cache (Redis) check."""
    for error in _chain(exc):
        if isinstance(error, CheckError):
            return error
        name = type(error).__name__
        if name in ("AuthenticationError", "AuthenticationWrongNumberOfArgsError"):
            return AuthError("Redis rejected the credentials")
        if name == "ResponseError" and "noauth" in str(error).lower():
            return AuthError("Redis needs authentication")
        if name == "TimeoutError" and type(error).__module__.startswith("redis"):
            return CheckTimeout("Redis did not answer in time")
    detail = classify(exc)
    if detail == "error" and "connection refused" in str(exc).lower():
        detail = "connection_refused"
    return CheckError(f"cache check failed: {detail}", detail=detail)
