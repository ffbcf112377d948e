"""Classification of SQL driver errors: one function per driver family, one table per code set.

Every checker in ``_postgres``, ``_mysql`` and the SQL pool modules sends what its driver
raised through one of these, so a checker body never inspects a driver exception itself.
Django's checkers read the same tables (SQLSTATEs, MySQL codes, libpq messages) through
:mod:`dephealth_core.checks`, so that one driver error has one classification everywhere.
Messages name the error class or code only: driver text can echo a DSN, and with it a password.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._classify import classify
from .._exceptions import (
    AuthError,
    CheckError,
    CheckTimeout,
    ConnectionRefused,
    DnsError,
    PoolExhausted,
    QueryError,
    TlsError,
)

#: MySQL/MariaDB client and server error codes (``ER_*``/``CR_*``) -> the detail they mean.
#: ``connection_refused`` and ``connection_reset`` are refined from the error's cause and text
#: (see :func:`classify_mysql_code`).
MYSQL_CODES: Mapping[int, str] = {
    1044: "auth_error",  # ER_DBACCESS_DENIED_ERROR
    1045: "auth_error",  # ER_ACCESS_DENIED_ERROR
    1251: "auth_error",  # ER_NOT_SUPPORTED_AUTH_MODE
    1698: "auth_error",  # ER_ACCESS_DENIED_NO_PASSWORD_ERROR
    1040: "error",  # ER_CON_COUNT_ERROR: too many connections
    1203: "error",  # ER_TOO_MANY_USER_CONNECTIONS
    2002: "connection_refused",  # CR_CONNECTION_ERROR (socket)
    2003: "connection_refused",  # CR_CONN_HOST_ERROR
    2005: "dns_error",  # CR_UNKNOWN_HOST
    2006: "connection_reset",  # CR_SERVER_GONE_ERROR
    2013: "connection_reset",  # CR_SERVER_LOST, during connect or query
    2026: "tls_error",  # CR_SSL_CONNECTION_ERROR
}

#: Fragments of libpq's connection messages (lower case) -> detail, looked for in this order.
#: libpq reports connection failures as text only: no SQLSTATE, no errno.
LIBPQ_MESSAGES: tuple[tuple[str, str], ...] = (
    ("password authentication failed", "auth_error"),
    ("authentication failed", "auth_error"),
    ("no pg_hba.conf entry", "auth_error"),
    ('role "', "auth_error"),
    ("could not translate host name", "dns_error"),
    ("name or service not known", "dns_error"),
    ("nodename nor servname", "dns_error"),
    ("temporary failure in name resolution", "dns_error"),
    ("connection refused", "connection_refused"),
    ("network is unreachable", "network_unreachable"),
    ("no route to host", "host_unreachable"),
    ("timeout expired", "timeout"),
    ("timed out", "timeout"),
    ("ssl", "tls_error"),
    ("certificate", "tls_error"),
)

_CLASSES: Mapping[str, type[CheckError]] = {
    "timeout": CheckTimeout,
    "connection_refused": ConnectionRefused,
    "dns_error": DnsError,
    "auth_error": AuthError,
    "tls_error": TlsError,
    "query_error": QueryError,
}

_MESSAGES: Mapping[str, str] = {
    "timeout": "timed out",
    "connection_refused": "cannot connect",
    "connection_reset": "connection lost",
    "network_unreachable": "network unreachable",
    "host_unreachable": "host unreachable",
    "dns_error": "cannot resolve the host",
    "auth_error": "authentication failed",
    "tls_error": "TLS negotiation failed",
    "error": "server busy",
}


def _error(detail: str, message: str) -> CheckError:
    return _CLASSES.get(detail, CheckError)(message, detail=detail)


def _generic(exc: BaseException, what: str) -> CheckError:
    """Fall back on the platform classification of the cause chain (socket, DNS, TLS)."""
    detail = classify(exc)
    if detail == "timeout":
        return CheckTimeout(f"{what}: timed out")
    return CheckError(f"{what}: {type(exc).__name__}", detail=detail)


def classify_sqlstate(sqlstate: str | None, what: str) -> CheckError | None:
    """Map a PostgreSQL SQLSTATE to an error, or ``None`` when it says nothing specific."""
    if not sqlstate:
        return None
    if sqlstate.startswith("28"):
        return AuthError(f"{what}: authentication failed ({sqlstate})")
    if sqlstate == "57014":
        return CheckTimeout(f"{what}: statement cancelled ({sqlstate})")
    if sqlstate.startswith("08") or sqlstate in ("57P01", "57P02", "57P03"):
        return ConnectionRefused(f"{what}: server not accepting connections ({sqlstate})")
    if sqlstate.startswith("53"):
        return CheckError(f"{what}: server out of resources ({sqlstate})")
    return QueryError(f"{what}: query failed ({sqlstate})")


def _mentions_tls(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "ssl" in text or "tls" in text


def classify_asyncpg(exc: BaseException) -> CheckError:
    """Map an asyncpg error (or an OS error from its connect) to a classified error."""
    import asyncpg

    if isinstance(exc, CheckError):
        return exc
    if isinstance(exc, asyncpg.PostgresError):
        found = classify_sqlstate(getattr(exc, "sqlstate", None), "postgres")
        return found if found is not None else QueryError("postgres: query failed")
    if isinstance(exc, asyncpg.exceptions.ConnectionDoesNotExistError):
        return CheckError("postgres: connection lost", detail="connection_reset")
    # asyncpg says "rejected SSL upgrade" in a plain ConnectionError when the server has no TLS.
    if isinstance(exc, ConnectionError) and exc.errno is None and _mentions_tls(exc):
        return TlsError("postgres: the server does not accept TLS")
    if isinstance(exc, asyncpg.InterfaceError) and _mentions_tls(exc):
        return TlsError("postgres: TLS negotiation failed")
    return _generic(exc, "postgres")


def classify_psycopg(exc: BaseException) -> CheckError:
    """Map a psycopg (3) or psycopg_pool error to a classified error."""
    import psycopg

    if isinstance(exc, CheckError):
        return exc
    if type(exc).__name__ == "PoolTimeout":
        return PoolExhausted("postgres: no connection free in the pool")
    if isinstance(exc, psycopg.Error):
        found = classify_sqlstate(exc.sqlstate, "postgres")
        if found is not None:
            return found
        if isinstance(exc, psycopg.OperationalError):
            return _libpq_connect_error(exc)
        return QueryError("postgres: query failed")
    return _generic(exc, "postgres")


def classify_libpq_message(text: str, what: str = "postgres") -> CheckError | None:
    """Map the text of a libpq connection error to an error, or ``None`` when it says nothing.

    The error's message names the detail only, never the driver text.
    """
    lowered = text.lower()
    for fragment, detail in LIBPQ_MESSAGES:
        if fragment in lowered:
            return _error(detail, f"{what}: {_MESSAGES[detail]}")
    return None


def _libpq_connect_error(exc: BaseException) -> CheckError:
    found = classify_libpq_message(str(exc))
    return found if found is not None else _generic(exc, "postgres")


def classify_pymysql(exc: BaseException) -> CheckError:
    """Map an aiomysql/PyMySQL error to a classified error, by MySQL error code."""
    # From the module itself, not as ``pymysql.err``: after pymysql.install_as_MySQLdb(),
    # importing MySQLdb.* submodules (as Django's MySQL backend does) loads pymysql's
    # modules a second time under that name and rebinds ``pymysql.err`` to the copy, whose
    # classes are not the ones pymysql and aiomysql raise.
    from pymysql.err import InterfaceError, MySQLError, OperationalError

    if isinstance(exc, CheckError):
        return exc
    if not isinstance(exc, MySQLError):
        return _generic(exc, "mysql")
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
    found = classify_mysql_code(code, exc)
    if found is not None:
        return found
    if isinstance(exc, OperationalError | InterfaceError):
        return _generic(exc, "mysql")
    return QueryError(f"mysql: query failed ({code})")


def classify_mysql_code(code: int | None, exc: BaseException) -> CheckError | None:
    """Map a MySQL error code to an error, or ``None`` when :data:`MYSQL_CODES` lacks it.

    Args:
        code: the MySQL client or server error code (the driver error's first argument).
        exc: the error that carries it. Its cause chain and text refine two codes: a cannot-
            connect error whose cause is a DNS, timeout or unreachable error reads as that;
            a lost connection whose cause or text says "timed out" is the driver's own read
            timeout (``timeout``), any other is a connection the server dropped
            (``connection_reset``).
    """
    detail = MYSQL_CODES.get(code) if code is not None else None
    if detail is None:
        return None
    if detail == "connection_refused":
        # The driver wraps the socket error: its cause tells refused from DNS from timeout.
        generic = _generic(exc, "mysql")
        return generic if generic.detail != "error" else ConnectionRefused("mysql: cannot connect")
    if detail == "connection_reset" and (
        classify(exc) == "timeout" or "timed out" in str(exc).lower()
    ):
        return CheckTimeout(f"mysql: no answer in time ({code})")
    return _error(detail, f"mysql: {_MESSAGES[detail]} ({code})")


def classify_sqlalchemy(exc: BaseException) -> CheckError:
    """Map a SQLAlchemy error by the driver error it wraps (``exc.orig``)."""
    import sqlalchemy.exc

    if isinstance(exc, CheckError):
        return exc
    if isinstance(exc, sqlalchemy.exc.TimeoutError):
        return PoolExhausted("sqlalchemy: no connection free in the pool")
    orig: Any = getattr(exc, "orig", None)
    if orig is None:
        return _generic(exc, "sqlalchemy")
    # The asyncpg dialect wraps asyncpg's error once more; the real one is its cause.
    driver_error = orig.__cause__ if orig.__cause__ is not None else orig
    module = type(driver_error).__module__.split(".")[0]
    if module == "asyncpg":
        return classify_asyncpg(driver_error)
    if module in ("psycopg", "psycopg_pool"):
        return classify_psycopg(driver_error)
    if module == "pymysql":
        return classify_pymysql(driver_error)
    found = classify_sqlstate(
        getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None), "sql"
    )
    return found if found is not None else _generic(orig, "sql")
