"""One classification per SQL driver error, shared by the core's checkers and Django's."""

from __future__ import annotations

import socket

import psycopg
import pytest

from dephealth_core.checks import (
    LIBPQ_MESSAGES,
    MYSQL_CODES,
    classify_libpq_message,
    classify_mysql_code,
)
from dephealth_core.checks._sql_errors import classify_psycopg, classify_pymysql
from dephealth_django._errors import database_error

ALLOWED_DETAILS = {
    "timeout",
    "connection_refused",
    "connection_reset",
    "network_unreachable",
    "host_unreachable",
    "dns_error",
    "auth_error",
    "tls_error",
    "error",
}


def _mysql_error(code: int, text: str, cause: BaseException | None = None) -> Exception:
    # The module itself, not the ``pymysql.err`` attribute, which Django's MySQL backend
    # rebinds to a second copy once PyMySQL is installed as MySQLdb.
    from pymysql.err import OperationalError

    error = OperationalError(code, text)
    error.__cause__ = cause
    return error


def _django_wrapped(error: Exception) -> Exception:
    """As Django raises it: its own class with the driver's arguments, the driver's as cause."""
    from django.db.utils import OperationalError

    wrapped = OperationalError(*error.args)
    wrapped.__cause__ = error
    return wrapped


def test_every_table_entry_is_a_detail_the_metrics_allow() -> None:
    """The tables map to details docs/metrics.md lists, nothing else."""
    assert set(MYSQL_CODES.values()) <= ALLOWED_DETAILS
    assert {detail for _, detail in LIBPQ_MESSAGES} <= ALLOWED_DETAILS


@pytest.mark.parametrize(
    ("code", "text", "cause", "detail"),
    [
        (1045, "Access denied for user 'app'@'x' (using password: YES)", None, "auth_error"),
        (2005, "Unknown MySQL server host 'db.invalid'", None, "dns_error"),
        (2026, "SSL connection error", None, "tls_error"),
        (1040, "Too many connections", None, "error"),
        (2013, "Lost connection to MySQL server during query", None, "connection_reset"),
        (2006, "MySQL server has gone away", None, "connection_reset"),
        (2013, "Lost connection to MySQL server during query (timed out)", None, "timeout"),
        (2013, "Lost connection", TimeoutError("timed out"), "timeout"),
        (2003, "Can't connect to MySQL server on 'x'", ConnectionRefusedError(111, "x"), None),
        (2003, "Can't connect to MySQL server on 'x'", None, "connection_refused"),
    ],
)
def test_a_mysql_error_reads_the_same_in_the_core_and_in_django(
    code: int, text: str, cause: BaseException | None, detail: str | None
) -> None:
    """MySQL 2013 is a dropped connection (connection_reset) unless the driver timed out."""
    expected = detail or "connection_refused"
    error = _mysql_error(code, text, cause)
    assert classify_pymysql(error).detail == expected
    assert database_error(_django_wrapped(error), connected=False).detail == expected
    found = classify_mysql_code(code, error)
    assert found is not None
    assert found.detail == expected


def test_a_mysql_code_outside_the_table_is_left_to_the_caller() -> None:
    """An unknown code gives None: a query error once connected, in Django and the core."""
    from pymysql.err import ProgrammingError

    error = ProgrammingError(1064, "You have an error in your SQL syntax")
    assert classify_mysql_code(1064, error) is None
    assert classify_pymysql(error).detail == "query_error"
    assert database_error(_django_wrapped(error), connected=True).detail == "query_error"


def test_a_refused_connect_through_a_dns_failure_reads_dns_error() -> None:
    """The cause of a cannot-connect error decides: a resolver failure is dns_error."""
    error = _mysql_error(2003, "Can't connect", socket.gaierror(socket.EAI_NONAME, "unknown"))
    assert classify_pymysql(error).detail == "dns_error"


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ('FATAL:  password authentication failed for user "app"', "auth_error"),
        ('FATAL:  no pg_hba.conf entry for host "10.0.0.1"', "auth_error"),
        ('could not translate host name "db.invalid" to address', "dns_error"),
        ("connection to server at 127.0.0.1, port 1 failed: Connection refused", None),
        ("connection to server failed: No route to host", "host_unreachable"),
        ("connection to server failed: Network is unreachable", "network_unreachable"),
        ("connection to server failed: timeout expired", "timeout"),
        ("server does not support SSL, but SSL was required", "tls_error"),
    ],
)
def test_a_libpq_message_reads_the_same_in_the_core_and_in_django(
    text: str, detail: str | None
) -> None:
    """The libpq message table is one: psycopg in the core and Django read it alike."""
    expected = detail or "connection_refused"
    error = psycopg.OperationalError(text)
    assert classify_psycopg(error).detail == expected
    assert database_error(_django_wrapped(error), connected=False).detail == expected
    found = classify_libpq_message(text)
    assert found is not None
    assert found.detail == expected


def test_classified_messages_never_carry_the_driver_text() -> None:
    """The driver text may echo credentials: only the detail and code are kept."""
    text = "Access denied for user 'app'@'host' (using password: hunter2)"
    error = _mysql_error(1045, text)
    assert "hunter2" not in str(classify_pymysql(error))
    assert "hunter2" not in str(database_error(_django_wrapped(error), connected=False))
    libpq = 'FATAL:  password authentication failed for user "hunter2"'
    found = classify_libpq_message(libpq)
    assert found is not None
    assert "hunter2" not in str(found)


def test_an_unknown_libpq_message_is_left_to_the_caller() -> None:
    """Text the table does not know gives None."""
    assert classify_libpq_message("something else entirely") is None


def test_the_public_names_of_checks_are_pinned() -> None:
    """dephealth_core.checks exposes the SQL tables and classifiers, and nothing else."""
    import dephealth_core.checks

    assert dephealth_core.checks.__all__ == [
        "LIBPQ_MESSAGES",
        "MYSQL_CODES",
        "classify_libpq_message",
        "classify_mysql_code",
        "classify_sqlstate",
    ]
