"""MySQL and MariaDB checks: a query on a fresh aiomysql connection, or on a pooled one."""

from __future__ import annotations

import asyncio
import ssl
from typing import Annotated, Any, Unpack

from .._dependency import Dependency, Endpoint, Target, option_error
from .._exceptions import CheckTimeout, TlsError
from .._validation import check_bool
from ._auth import ca_context
from ._declaration import Expects
from ._factories import declares
from ._sql_async_pools import run_mysql_query
from ._sql_errors import classify_pymysql
from ._sql_options import SqlCheckOptions, StandaloneSqlChecker
from ._sql_pools import sql_kind

#: ``ssl-mode`` values as MySQL's own clients spell them.
SSL_MODES = frozenset({"disabled", "preferred", "required", "verify_ca", "verify_identity"})
_TRUE = frozenset({"1", "true", "yes", "on"})


class MysqlCheckOptions(SqlCheckOptions, total=False):
    """The keywords of :func:`mysql_check`."""

    ssl_mode: str | bool | None
    ssl_ca: Annotated[str | None, Expects("a file path")]


def _url_ssl_mode(query: dict[str, str] | Any) -> str | None:
    mode = query.get("ssl-mode", query.get("ssl_mode", query.get("sslmode")))
    if mode is None and "ssl" in query:
        mode = "required" if str(query["ssl"]).lower() in _TRUE else "disabled"
    return mode


def _tls(dependency: Dependency, target: Target | None) -> ssl.SSLContext | None:
    """An SSL context from ``ssl_mode``/``ssl_ca`` (options, then the URL's query)."""
    url_query = target.query if target is not None else {}
    mode = dependency.options.get("ssl_mode", _url_ssl_mode(url_query))
    ca_file = dependency.options.get("ssl_ca", url_query.get("ssl-ca", url_query.get("ssl_ca")))
    if isinstance(mode, bool):
        mode = "required" if check_bool(mode, field="ssl_mode") else "disabled"
    if mode is None:
        return None
    if not isinstance(mode, str) or mode.lower().replace("-", "_") not in SSL_MODES:
        raise option_error(
            dependency, "ssl_mode", f"expected one of {', '.join(sorted(SSL_MODES))}"
        )
    mode = mode.lower().replace("-", "_")
    if mode in ("disabled", "preferred") or target is None:
        return None
    context = ca_context(dependency, "ssl_ca", ca_file)
    # MySQL's REQUIRED encrypts without verifying; VERIFY_CA skips the host name.
    context.check_hostname = mode == "verify_identity"
    if mode == "required":
        context.verify_mode = ssl.CERT_NONE
    return context


class MysqlChecker(StandaloneSqlChecker):
    """Opens an aiomysql connection per check, runs the query and closes the connection."""

    async def check(self, endpoint: Endpoint) -> None:
        """Connect to ``endpoint`` and run the query."""
        import aiomysql
        from pymysql.constants import CLIENT

        opts = self.options
        conn = aiomysql.Connection(
            host=endpoint.host,
            port=int(endpoint.port),
            user=opts.user,
            password=opts.password or "",
            db=opts.database,
            ssl=opts.tls,
            # No connect_timeout: aiomysql would wrap the connect in Python 3.11's wait_for,
            # which can swallow the cancellation the check's timeout sends.
            connect_timeout=None,
            program_name=opts.application_name,
        )
        # Belt and braces: should a cancellation get lost in the driver, the check would wait
        # on a silent server for good. A timer of our own cuts the connection at the deadline
        # (and again until the check ends, in case the socket was not open yet).
        loop = asyncio.get_running_loop()
        expired: list[bool] = []
        timers: list[asyncio.TimerHandle] = []

        def cut() -> None:
            expired.append(True)
            conn.close()
            timers.append(loop.call_later(0.1, cut))

        timers.append(loop.call_later(opts.timeout, cut))
        try:
            # Not aiomysql.connect(): it closes its socket on errors but not on cancellation.
            await conn._connect()
            if opts.tls is not None and not conn.server_capabilities & CLIENT.SSL:
                # aiomysql carries on in plain text when the server offers no TLS.
                raise TlsError("mysql: the server does not offer TLS")
            await run_mysql_query(conn, opts.query)
        except BaseException as exc:
            if not isinstance(exc, Exception):
                raise
            if expired:
                raise CheckTimeout("mysql: no answer before the deadline") from exc
            raise classify_pymysql(exc) from exc
        finally:
            timers[-1].cancel()
            conn.close()


MYSQL_KIND = sql_kind(
    "mysql",
    default_port=3306,
    tls=_tls,
    standalone=MysqlChecker,
    driver=("aiomysql", "mysql", "MySQL"),
    declaration=MysqlCheckOptions,
)


@declares(MYSQL_KIND)
def mysql_check(name: str, **options: Unpack[MysqlCheckOptions]) -> Dependency:
    """Declare a MySQL or MariaDB dependency.

    Standalone mode (``url`` or ``host``) opens an aiomysql connection per check; pool mode
    (``pool``) borrows a connection from the application's pool and gives it back.

    Args:
        url: ``mysql://user:password@host:3306/db?ssl-mode=REQUIRED`` (``mariadb://`` too);
            several ``host:port`` pairs separated by commas give one endpoint each.
        query: the query to run (default ``SELECT 1``).
        user: the user name (default: from the URL).
        password: the password (default: from the URL).
        database: the database (default: the URL's path).
        ssl_mode: ``disabled``, ``preferred``, ``required``, ``verify_ca`` or
            ``verify_identity`` (``True`` means ``required``); ``?ssl=true`` in the URL too.
        ssl_ca: the CA file for ``verify_ca``/``verify_identity``.
        application_name: the ``program_name`` connection attribute (default ``dephealth``).
        pool: an aiomysql ``Pool``, a SQLAlchemy ``Engine``/``AsyncEngine`` on a MySQL
            dialect, or a zero-argument callable returning one (resolved when checks start).
    """
    return MYSQL_KIND.declare(name, options)
