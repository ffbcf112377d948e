"""Options shared by the PostgreSQL and MySQL checkers: query, credentials, timeout."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .._dependency import Dependency, Target, option_error
from .._settings import DEFAULT_TIMEOUT
from .._validation import check_duration

DEFAULT_QUERY = "SELECT 1"
DEFAULT_APPLICATION_NAME = "dephealth"
SQL_OPTIONS = frozenset({"query", "user", "password", "database", "application_name"})


@dataclass(frozen=True, slots=True)
class SqlOptions:
    """The validated options of one SQL dependency.

    ``timeout`` is the check's timeout, known to the checker so that a pool borrow can give up
    a little earlier and report ``pool_exhausted``.
    """

    query: str
    user: str | None
    password: str | None = field(repr=False)
    database: str | None
    application_name: str
    timeout: float
    tls: Any = field(default=None, repr=False)


def _text(dependency: Dependency, name: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise option_error(dependency, name, "expected a string")
    return value


def sql_options(dependency: Dependency, target: Target | None, tls: Any = None) -> SqlOptions:
    """Validate the shared options; credentials come from the options, then from the URL."""
    opts = dependency.options
    query = _text(dependency, "query", opts.get("query")) or DEFAULT_QUERY
    if not query.strip():
        raise option_error(dependency, "query", "empty query")
    url_query = target.query if target is not None else {}
    database = _text(dependency, "database", opts.get("database"))
    if database is None and target is not None and target.path.strip("/"):
        database = target.path.strip("/")
    app_name = _text(dependency, "application_name", opts.get("application_name"))
    timeout = (
        DEFAULT_TIMEOUT
        if dependency.timeout is None
        else check_duration(dependency.timeout, field="timeout", dependency=dependency.name)
    )
    return SqlOptions(
        query=query,
        user=_text(dependency, "user", opts.get("user"))
        or (target.username if target is not None else None),
        password=_text(dependency, "password", opts.get("password"))
        or (target.password if target is not None else None),
        database=database,
        application_name=app_name or url_query.get("application_name") or DEFAULT_APPLICATION_NAME,
        timeout=timeout,
        tls=tls,
    )


def collect(**options: Any) -> dict[str, Any]:
    """The keyword options a factory was given, without the ``None`` ones."""
    return {key: value for key, value in options.items() if value is not None}
