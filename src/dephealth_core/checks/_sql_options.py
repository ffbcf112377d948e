"""Options shared by the PostgreSQL and MySQL checkers: query, credentials, timeout."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from .._dependency import Dependency, EndpointOptions, Target, option_error
from ._declaration import Expects
from ._drivers import check_timeout

DEFAULT_QUERY = "SELECT 1"
DEFAULT_APPLICATION_NAME = "dephealth"


class SqlCheckOptions(EndpointOptions, total=False):
    """The keywords the PostgreSQL and MySQL factories share."""

    query: Annotated[str | None, Expects("a string")]
    user: Annotated[str | None, Expects("a string")]
    password: Annotated[str | None, Expects("a string")]
    database: Annotated[str | None, Expects("a string")]
    application_name: Annotated[str | None, Expects("a string")]
    pool: Any


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


class StandaloneSqlChecker:
    """The options of a standalone SQL checker, which opens a connection per check."""

    def __init__(self, options: SqlOptions) -> None:
        self.options = options


def sql_options(dependency: Dependency, target: Target | None, tls: Any = None) -> SqlOptions:
    """Validate the shared options; credentials come from the options, then from the URL.

    The declared types are checked by then (:class:`SqlCheckOptions`).
    """
    opts = dependency.options
    given = opts.get("query")
    query = DEFAULT_QUERY if given is None else given
    if not query.strip():
        raise option_error(dependency, "query", "empty query")
    url_query = target.query if target is not None else {}
    database = opts.get("database")
    if database is None and target is not None and target.path.strip("/"):
        database = target.path.strip("/")
    return SqlOptions(
        query=query,
        user=opts.get("user") or (target.username if target is not None else None),
        password=opts.get("password") or (target.password if target is not None else None),
        database=database,
        application_name=opts.get("application_name")
        or url_query.get("application_name")
        or DEFAULT_APPLICATION_NAME,
        timeout=check_timeout(dependency),
        tls=tls,
    )
