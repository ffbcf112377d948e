"""PostgreSQL checks: a query on a fresh asyncpg connection, or on one borrowed from a pool."""

from __future__ import annotations

import ssl
from typing import Annotated, Unpack

from .._dependency import Dependency, Endpoint, Target, option_error
from ._auth import ca_context
from ._declaration import Expects
from ._factories import declares
from ._sql_errors import classify_asyncpg
from ._sql_options import SqlCheckOptions, StandaloneSqlChecker
from ._sql_pools import sql_kind

SSLMODES = frozenset({"disable", "allow", "prefer", "require", "verify-ca", "verify-full"})
#: How long a graceful close may take before the connection is simply dropped.
CLOSE_TIMEOUT = 1.0


class PostgresCheckOptions(SqlCheckOptions, total=False):
    """The keywords of :func:`postgres_check`."""

    sslmode: str | None
    sslrootcert: Annotated[str | None, Expects("a file path")]


def _tls(dependency: Dependency, target: Target | None) -> str | ssl.SSLContext | None:
    """asyncpg's ``ssl`` argument from ``sslmode``/``sslrootcert`` (options, then URL)."""
    url_query = target.query if target is not None else {}
    mode = dependency.options.get("sslmode", url_query.get("sslmode"))
    rootcert = dependency.options.get("sslrootcert", url_query.get("sslrootcert"))
    if mode is None:
        return None
    if not isinstance(mode, str) or mode.lower() not in SSLMODES:
        raise option_error(dependency, "sslmode", f"expected one of {', '.join(sorted(SSLMODES))}")
    mode = mode.lower()
    if rootcert is None or mode not in ("verify-ca", "verify-full") or target is None:
        return mode
    context = ca_context(dependency, "sslrootcert", rootcert)
    context.check_hostname = mode == "verify-full"
    return context


class PostgresChecker(StandaloneSqlChecker):
    """Opens an asyncpg connection per check, runs the query and closes the connection."""

    async def check(self, endpoint: Endpoint) -> None:
        """Connect to ``endpoint`` and run the query."""
        import asyncpg

        opts = self.options
        try:
            conn = await asyncpg.connect(
                host=endpoint.host,
                port=int(endpoint.port),
                user=opts.user,
                password=opts.password,
                database=opts.database,
                ssl=opts.tls,
                timeout=opts.timeout,
                server_settings={"application_name": opts.application_name},
            )
        except Exception as exc:
            raise classify_asyncpg(exc) from exc
        try:
            await conn.fetch(opts.query)
        except BaseException as exc:
            # Cancelled or failed: drop the socket at once, a graceful close could block.
            conn.terminate()
            if isinstance(exc, Exception):
                raise classify_asyncpg(exc) from exc
            raise
        try:
            await conn.close(timeout=CLOSE_TIMEOUT)
        except BaseException as exc:
            conn.terminate()
            if not isinstance(exc, Exception):
                raise


POSTGRES_KIND = sql_kind(
    "postgres",
    default_port=5432,
    tls=_tls,
    standalone=PostgresChecker,
    driver=("asyncpg", "postgres", "PostgreSQL"),
    declaration=PostgresCheckOptions,
)


@declares(POSTGRES_KIND)
def postgres_check(name: str, **options: Unpack[PostgresCheckOptions]) -> Dependency:
    """Declare a PostgreSQL dependency.

    Standalone mode (``url`` or ``host``) opens an asyncpg connection per check; pool mode
    (``pool``) borrows a connection from the application's pool and gives it back.

    Args:
        url: ``postgres://user:password@host:5432/db?sslmode=require``; several
            ``host:port`` pairs separated by commas give one endpoint each.
        query: the query to run (default ``SELECT 1``).
        user: the user name (default: from the URL, then asyncpg's defaults).
        password: the password (default: from the URL).
        database: the database (default: the URL's path).
        sslmode: ``disable``, ``prefer``, ``require``, ``verify-ca`` or ``verify-full``.
        sslrootcert: the CA file for ``verify-ca``/``verify-full``.
        application_name: the ``application_name`` the server shows (default ``dephealth``).
        pool: an asyncpg ``Pool``, a psycopg ``ConnectionPool``/``AsyncConnectionPool``, a
            SQLAlchemy ``Engine``/``AsyncEngine``, or a zero-argument callable returning one
            (resolved when checks start). Host and port are read from it when no ``url`` or
            ``host`` is given.
    """
    return POSTGRES_KIND.declare(name, options)
