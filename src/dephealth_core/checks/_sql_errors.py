"""Classification of SQL driver errors: one function per driver family.

Every checker in ``_postgres``, ``_mysql`` and ``_sql_pools`` sends what its driver raised
through one of these, so a checker body never inspects a driver exception itself. Messages
name the error class or code only: driver text can echo a DSN, and with it a password.
"""

from __future__ import annotations

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

#: MySQL/MariaDB client and server error codes (``pymysql.constants.ER``/``CR``).
_MYSQL_AUTH = frozenset({1044, 1045, 1698, 1251})  # access denied, plugin refusals
_MYSQL_DNS = frozenset({2005})  # unknown server host
_MYSQL_REFUSED = frozenset({2002, 2003})  # cannot connect (the cause says why)
_MYSQL_LOST = frozenset({2006, 2013})  # server gone away, lost connection
_MYSQL_TLS = frozenset({2026})  # SSL connection error
_MYSQL_BUSY = frozenset({1040, 1203})  # too many connections


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


def _libpq_connect_error(exc: BaseException) -> CheckError:
    # libpq reports connection failures as text only (no SQLSTATE, no errno).
    text = str(exc).lower()
    if "password authentication failed" in text or "authentication failed" in text:
        return AuthError("postgres: authentication failed")
    if "could not translate host name" in text or "name or service not known" in text:
        return DnsError("postgres: cannot resolve the host")
    if "ssl" in text:
        return TlsError("postgres: TLS negotiation failed")
    if "timeout expired" in text:
        return CheckTimeout("postgres: connect timed out")
    if "connection refused" in text:
        return ConnectionRefused("postgres: connection refused")
    if "no route to host" in text:
        return CheckError("postgres: host unreachable", detail="host_unreachable")
    return _generic(exc, "postgres")


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
    if code in _MYSQL_AUTH:
        return AuthError(f"mysql: access denied ({code})")
    if code in _MYSQL_DNS:
        return DnsError("mysql: cannot resolve the host")
    if code in _MYSQL_TLS:
        return TlsError("mysql: TLS negotiation failed")
    if code in _MYSQL_LOST:
        return CheckError(f"mysql: connection lost ({code})", detail="connection_reset")
    if code in _MYSQL_BUSY:
        return CheckError(f"mysql: server busy ({code})")
    if code in _MYSQL_REFUSED:
        # aiomysql wraps the socket error: its cause tells refused from DNS from timeout.
        generic = _generic(exc, "mysql")
        return generic if generic.detail != "error" else ConnectionRefused("mysql: cannot connect")
    if isinstance(exc, OperationalError | InterfaceError):
        return _generic(exc, "mysql")
    return QueryError(f"mysql: query failed ({code})")


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
