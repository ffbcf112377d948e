"""Pool mode for the SQL checkers: borrow a connection from the application's own pool.

Supported pools: asyncpg ``Pool``, aiomysql ``Pool``, psycopg (3) ``ConnectionPool`` and
``AsyncConnectionPool``, SQLAlchemy ``Engine`` and ``AsyncEngine``. This module tells them
apart, reads the address they connect to and builds the checker: async pools in
``_sql_async_pools``, blocking ones in ``_sql_sync_pools``.

Two rules hold for every adapter:

* the borrow has its own deadline, a little shorter than the check's timeout, so a pool whose
  connections are all busy reads ``pool_exhausted`` rather than ``timeout``;
* a connection whose query failed or was cancelled is closed before it goes back, so the pool
  never hands the application a connection with a query still in flight.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from .._dependency import Dependency, Kind, Target, unsupported_source
from .._exceptions import ConfigError
from ._drivers import import_driver
from ._pool_mode import TimeoutShare
from ._sql_async_pools import (
    AiomysqlAdapter,
    AsyncEngineAdapter,
    AsyncpgAdapter,
    AsyncPoolChecker,
    AsyncPsycopgAdapter,
)
from ._sql_options import SqlOptions, sql_options
from ._sql_sync_pools import EnginePoolChecker, PsycopgPoolChecker

#: backend -> (module, class name) of the pools it accepts, in the order error messages list them.
SUPPORTED: dict[str, tuple[tuple[str, str], ...]] = {
    "postgres": (
        ("asyncpg", "Pool"),
        ("psycopg_pool", "ConnectionPool"),
        ("psycopg_pool", "AsyncConnectionPool"),
        ("sqlalchemy.engine", "Engine"),
        ("sqlalchemy.ext.asyncio", "AsyncEngine"),
    ),
    "mysql": (
        ("aiomysql", "Pool"),
        ("sqlalchemy.engine", "Engine"),
        ("sqlalchemy.ext.asyncio", "AsyncEngine"),
    ),
}
_DIALECTS = {"postgres": ("postgresql",), "mysql": ("mysql", "mariadb")}
_DEFAULT_PORTS = {"postgres": 5432, "mysql": 3306}


def _pool_class(source: Any, backend: str) -> str | None:
    """``"module.Class"`` of the supported type ``source`` is, without importing any driver."""
    for module_name, class_name in SUPPORTED[backend]:
        module = sys.modules.get(module_name)
        cls = getattr(module, class_name, None) if module is not None else None
        if isinstance(cls, type) and isinstance(source, cls):
            return f"{module_name}.{class_name}"
    return None


def is_pool(backend: str) -> Callable[[Any], bool]:
    """``Kind.is_source`` for a backend: tells a supported pool from a factory of one."""
    return lambda source: _pool_class(source, backend) is not None


def supported_pools(backend: str) -> str:
    """The pool types a backend accepts, as ``Kind.supported_sources``."""
    return ", ".join(f"{m.split('.')[0]}.{c}" for m, c in SUPPORTED[backend])


def pool_hosts(dependency: Dependency, source: Any, backend: str) -> list[tuple[str, str]]:
    """``Kind.source_hosts``: the ``(host, port)`` a pool connects to, or a ``ConfigError``.

    A pool is one thing to check, so a multi-host pool yields its first host only.
    """
    found = _pool_class(source, backend)
    if found is None:
        raise unsupported_source(dependency, source, "pool", supported_pools(backend))
    default = _DEFAULT_PORTS[backend]
    if found.startswith("sqlalchemy"):
        url = source.url
        if url.get_backend_name() not in _DIALECTS[backend]:
            raise ConfigError(
                f"a {url.get_backend_name()} engine cannot be checked as {backend}",
                dependency=dependency.name,
                field="pool",
            )
        return [(url.host or "localhost", str(url.port or default))]
    if found == "asyncpg.Pool":
        return [_asyncpg_address(source)]
    if found == "aiomysql.Pool":
        kwargs = source._conn_kwargs
        return [(str(kwargs.get("host") or "localhost"), str(kwargs.get("port") or default))]
    return [_psycopg_address(source)]


def _first(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return value[0] if value else None
    if isinstance(value, str) and "," in value:
        return value.split(",")[0]
    return value


def _asyncpg_address(pool: Any) -> tuple[str, str]:
    from .._urls import parse_url

    kwargs = pool._connect_kwargs
    host, port = _first(kwargs.get("host")), _first(kwargs.get("port"))
    dsn = pool._connect_args[0] if pool._connect_args else kwargs.get("dsn")
    if dsn and (host is None or port is None):
        try:
            parsed_host, parsed_port = parse_url(dsn).hosts[0]
        except ConfigError:
            parsed_host, parsed_port = "localhost", "5432"  # a socket-only DSN
        host = host if host is not None else parsed_host
        port = port if port is not None else parsed_port
    return str(host or "localhost"), str(port or 5432)


def _psycopg_address(pool: Any) -> tuple[str, str]:
    from psycopg.conninfo import conninfo_to_dict

    conninfo = pool.conninfo if isinstance(pool.conninfo, str) else ""
    kwargs = pool.kwargs if isinstance(pool.kwargs, dict) else {}
    params = conninfo_to_dict(conninfo, **kwargs)
    host = _first(params.get("host") or params.get("hostaddr")) or "localhost"
    return str(host), str(_first(params.get("port")) or 5432)


def make_pool_checker(source: Any, backend: str, query: str, timeout: float) -> Any:
    """The checker for a supported pool (already validated by :func:`pool_hosts`)."""
    found = _pool_class(source, backend)
    if found == "asyncpg.Pool":
        return AsyncPoolChecker(AsyncpgAdapter(source), query, timeout, backend)
    if found == "aiomysql.Pool":
        adapter = AiomysqlAdapter(source, TimeoutShare(timeout).borrow)
        return AsyncPoolChecker(adapter, query, timeout, backend)
    if found == "psycopg_pool.AsyncConnectionPool":
        return AsyncPoolChecker(AsyncPsycopgAdapter(source), query, timeout, backend)
    if found == "psycopg_pool.ConnectionPool":
        return PsycopgPoolChecker(source, query, timeout)
    if found == "sqlalchemy.ext.asyncio.AsyncEngine":
        return AsyncPoolChecker(AsyncEngineAdapter(source), query, timeout, backend)
    return EnginePoolChecker(source, query, timeout, backend)


def sql_kind(
    backend: str,
    *,
    default_port: int,
    tls: Callable[[Dependency, Target | None], Any],
    standalone: Callable[[SqlOptions], Any],
    driver: tuple[str, str, str],
    declaration: type[Any],
) -> Kind:
    """The kind of a SQL backend: pool mode through :func:`make_pool_checker`, else
    ``standalone(options)``.

    Args:
        backend: ``"postgres"`` or ``"mysql"``, the ``type`` label.
        default_port: the port used when none is given.
        tls: reads the backend's TLS options into its driver's ``ssl`` argument; the
            settings are the shared SQL options with it (see ``Kind.settings``).
        standalone: builds the standalone checker from the validated options.
        driver: ``(module, extra, name)`` of the standalone driver, for ``import_driver``.
        declaration: the factory's keywords.
    """
    module, extra, name = driver

    def settings(dependency: Dependency, target: Target | None) -> SqlOptions:
        return sql_options(dependency, target, tls=tls(dependency, target))

    def make_checker(dependency: Dependency, target: Target) -> Any:
        options = settings(dependency, target)
        if target.source is not None:
            return make_pool_checker(target.source, backend, options.query, options.timeout)
        import_driver(module, extra=extra, kind=name)
        return standalone(options)

    return Kind(
        type=backend,
        default_port=default_port,
        make_checker=make_checker,
        settings=settings,
        source_hosts=lambda dependency, source: pool_hosts(dependency, source, backend),
        is_source=is_pool(backend),
        supported_sources=supported_pools(backend),
        declaration=declaration,
    )
