"""Driver errors seen through Django's database and cache layers, mapped to contract details.

Django wraps driver errors (``django.db.utils.OperationalError`` from ``psycopg``'s or
``MySQLdb``'s), and neither driver exposes the socket error of a failed connect, so the
detail is read from the SQLSTATE or MySQL error code first and the message second, through
the core's tables (:mod:`dephealth_core.checks`): a driver error reads the same here as in
the core's own checkers. Only the detail leaves this module: the driver text (which may echo
a DSN) is never re-raised.
"""

from __future__ import annotations

from collections.abc import Iterator

from dephealth_core import AuthError, CheckError, CheckTimeout, PoolExhausted, QueryError, classify
from dephealth_core.checks import classify_libpq_message, classify_mysql_code, classify_sqlstate


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
        # psycopg (3) says sqlstate, psycopg2 pgcode.
        sqlstate = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
        found = classify_sqlstate(sqlstate, "database") if isinstance(sqlstate, str) else None
        if found is not None:
            return found
        args = getattr(error, "args", ())
        if args and isinstance(args[0], int):
            found = classify_mysql_code(args[0], error)
            if found is not None:
                return found
    detail = classify(exc)
    if detail != "error":
        return CheckError(f"database check failed: {detail}", detail=detail)
    found = classify_libpq_message(str(exc), "database")
    if found is not None:
        return found
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
