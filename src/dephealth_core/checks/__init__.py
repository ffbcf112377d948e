"""Checkers, one module per dependency type, and their factories.

The public names here are the SQL error tables and their classifiers, for adapters that
check databases through their own connections (Django's checkers do): one driver error has
one classification, whoever runs the query.
"""

from ._sql_errors import (
    LIBPQ_MESSAGES,
    MYSQL_CODES,
    classify_libpq_message,
    classify_mysql_code,
    classify_sqlstate,
)

__all__ = [
    "LIBPQ_MESSAGES",
    "MYSQL_CODES",
    "classify_libpq_message",
    "classify_mysql_code",
    "classify_sqlstate",
]
