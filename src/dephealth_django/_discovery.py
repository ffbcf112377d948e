"""Dependencies from ``DATABASES`` and ``CACHES``: factories and discovery.

PostgreSQL and MySQL/MariaDB database aliases and Redis cache aliases become dependencies
checked through Django's own connections (:mod:`._checkers`). Their ``host`` and ``port``
labels come from the alias's settings; nothing here connects.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, Unpack
from urllib.parse import urlsplit

from dephealth_core import Checker, ConfigError, Dependency, Kind, Target
from dephealth_core.typing import CommonOptions

from ._checkers import CacheChecker, DatabaseChecker

logger = logging.getLogger("dephealth")

DATABASE_VENDORS = {"postgresql": ("postgres", 5432), "mysql": ("mysql", 3306)}
REDIS_BACKENDS = frozenset(
    {"django.core.cache.backends.redis.RedisCache", "django_redis.cache.RedisCache"}
)
_ENGINE_HINTS = (("postgis", "postgresql"), ("postgresql", "postgresql"), ("mysql", "mysql"))


@dataclass(frozen=True, eq=False)
class DjangoAlias:
    """A database or cache alias and the address read from its settings."""

    kind: str  # "database" or "cache"
    alias: str
    host: str
    port: str
    #: ENGINE or BACKEND, imported when the checker is built so the first check is not slowed.
    backend: str = ""
    #: The checkers built for this alias, so that their owner can close them.
    checkers: list[Checker] = field(default_factory=list, repr=False, compare=False)


def _source_hosts(dependency: Dependency, source: Any) -> list[tuple[str, str]]:
    if not isinstance(source, DjangoAlias):
        raise ConfigError(
            f"expected a Django alias, got {type(source).__name__}",
            dependency=dependency.name,
            field="pool",
        )
    return [(source.host, source.port)]


def _make_checker(dependency: Dependency, target: Target) -> Checker:
    source = target.source
    assert isinstance(source, DjangoAlias)
    _import_backend(source)
    checker: Checker
    if source.kind == "database":
        checker = DatabaseChecker(source.alias)
    else:
        checker = CacheChecker(source.alias)
    source.checkers.append(checker)
    return checker


def _import_backend(source: DjangoAlias) -> None:
    # Imports only (no connection): the driver and backend modules would otherwise be
    # imported by the first check, in its thread, under its timeout.
    try:
        if source.kind == "database":
            from django.db.utils import load_backend

            load_backend(source.backend)
        else:
            import_module(source.backend.rpartition(".")[0])
            import_module("redis")
    except ImportError as exc:
        logger.warning("dephealth: cannot import %s: %s", source.backend, type(exc).__name__)


def _kind(type_: str, port: int) -> Kind:
    return Kind(
        type=type_,
        default_port=port,
        make_checker=_make_checker,
        source_hosts=_source_hosts,
        is_source=lambda value: isinstance(value, DjangoAlias),
    )


KINDS = {"postgres": _kind("postgres", 5432), "mysql": _kind("mysql", 3306)}
REDIS_KIND = _kind("redis", 6379)


def dependency_name(prefix: str, alias: str) -> str:
    """``("db", "default")`` -> ``"db-default"``: a valid dependency name from an alias."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", alias.lower()).strip("-")
    return f"{prefix}-{cleaned}"[:63].rstrip("-")


def database_vendor(settings: Mapping[str, Any]) -> str | None:
    """``"postgresql"``, ``"mysql"`` or ``None``, from a ``DATABASES`` entry's ENGINE."""
    engine = str(settings.get("ENGINE", ""))
    for hint, vendor in _ENGINE_HINTS:
        if hint in engine:
            return vendor
    return None


def database_check(
    alias: str = "default",
    *,
    name: str | None = None,
    critical: bool | None = True,
    databases: Mapping[str, Any] | None = None,
    **common: Unpack[CommonOptions],
) -> Dependency:
    """Declare a check of a ``DATABASES`` alias through Django's own connection.

    Args:
        alias: the database alias.
        name: the dependency name (default ``db-<alias>``).
        critical: whether the service cannot work without it (default ``True``).
        databases: the ``DATABASES`` setting (default: ``django.conf.settings.DATABASES``).
        **common: ``interval``, ``timeout``, ``initial_delay``, thresholds, ``labels``.

    Raises:
        ConfigError: for an unknown alias or an engine other than PostgreSQL or MySQL.
    """
    dep_name = name or dependency_name("db", alias)
    if databases is None:
        from django.conf import settings

        databases = settings.DATABASES
    entry = databases.get(alias)
    if not isinstance(entry, Mapping):
        raise ConfigError(f"no database alias {alias!r}", dependency=dep_name, field="databases")
    vendor = database_vendor(entry)
    if vendor is None:
        raise ConfigError(
            f"database {alias!r} uses {entry.get('ENGINE')!r}; only PostgreSQL and MySQL "
            "are checked",
            dependency=dep_name,
            field="databases",
        )
    type_, default_port = DATABASE_VENDORS[vendor]
    host = str(entry.get("HOST") or "localhost")
    port = str(entry.get("PORT") or default_port)
    source = DjangoAlias("database", alias, host, port, str(entry.get("ENGINE")))
    return Dependency(dep_name, KINDS[type_], critical=critical, source=source, **common)


def cache_check(
    alias: str = "default",
    *,
    name: str | None = None,
    critical: bool | None = False,
    caches: Mapping[str, Any] | None = None,
    **common: Unpack[CommonOptions],
) -> Dependency:
    """Declare a check of a Redis ``CACHES`` alias through the cache's own client.

    The first (writer) server of ``LOCATION`` is the endpoint.

    Args:
        alias: the cache alias.
        name: the dependency name (default ``cache-<alias>``).
        critical: whether the service cannot work without it (default ``False``).
        caches: the ``CACHES`` setting (default: ``django.conf.settings.CACHES``).
        **common: ``interval``, ``timeout``, ``initial_delay``, thresholds, ``labels``.

    Raises:
        ConfigError: for an unknown alias, a backend other than Redis or a bad LOCATION.
    """
    dep_name = name or dependency_name("cache", alias)
    if caches is None:
        from django.conf import settings

        caches = settings.CACHES
    entry = caches.get(alias)
    if not isinstance(entry, Mapping):
        raise ConfigError(f"no cache alias {alias!r}", dependency=dep_name, field="caches")
    if entry.get("BACKEND") not in REDIS_BACKENDS:
        raise ConfigError(
            f"cache {alias!r} uses {entry.get('BACKEND')!r}; only Redis caches are checked",
            dependency=dep_name,
            field="caches",
        )
    host, port = redis_address(entry.get("LOCATION"), dependency=dep_name)
    source = DjangoAlias("cache", alias, host, port, str(entry.get("BACKEND")))
    return Dependency(dep_name, REDIS_KIND, critical=critical, source=source, **common)


def redis_address(location: Any, *, dependency: str) -> tuple[str, str]:
    """The ``(host, port)`` of the first server of a Redis cache ``LOCATION``."""
    first = location[0] if isinstance(location, list | tuple) and location else location
    if isinstance(first, str):
        first = re.split("[;,]", first)[0].strip()
    if not isinstance(first, str) or not first:
        raise ConfigError("missing LOCATION", dependency=dependency, field="caches")
    parts = urlsplit(first if "://" in first else f"redis://{first}")
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ConfigError(
            f"cannot read a host from a {parts.scheme}:// LOCATION",
            dependency=dependency,
            field="caches",
        )
    try:
        port = parts.port or 6379
    except ValueError:
        raise ConfigError(
            "invalid port in LOCATION", dependency=dependency, field="caches"
        ) from None
    return parts.hostname, str(port)


def discover(
    databases: Mapping[str, Any],
    caches: Mapping[str, Any],
    *,
    discover_databases: bool,
    discover_caches: bool,
    database_options: Mapping[str, Any],
    cache_options: Mapping[str, Any],
) -> list[Dependency]:
    """One dependency per PostgreSQL/MySQL database and Redis cache alias.

    ``database_options``/``cache_options`` map an alias to ``False`` (not checked) or to
    overrides (``name``, ``critical``, ``interval``, ``labels``...). Other engines and
    backends are skipped with one info line each.
    """
    found: list[Dependency] = []
    for alias, entry in databases.items() if discover_databases else ():
        overrides = database_options.get(alias, {})
        if overrides is False or not isinstance(entry, Mapping):
            continue
        if database_vendor(entry) is None:
            _skipped(
                "database %r (%s) is not checked: only PostgreSQL and MySQL are",
                alias,
                entry.get("ENGINE"),
            )
            continue
        found.append(database_check(alias, databases=databases, **_overrides(overrides)))
    for alias, entry in caches.items() if discover_caches else ():
        overrides = cache_options.get(alias, {})
        if overrides is False or not isinstance(entry, Mapping):
            continue
        if entry.get("BACKEND") not in REDIS_BACKENDS:
            _skipped(
                "cache %r (%s) is not checked: only Redis caches are", alias, entry.get("BACKEND")
            )
            continue
        try:
            found.append(cache_check(alias, caches=caches, **_overrides(overrides)))
        except ConfigError as exc:
            if exc.field != "caches" or "cannot read a host" not in str(exc):
                raise
            _skipped("cache %r is not checked: %s", alias, str(exc))
    return found


_skips_logged: set[tuple[Any, ...]] = set()


def _skipped(message: str, *args: Any) -> None:
    # Once per process: the system checks and the first request both discover.
    if (message, *args) not in _skips_logged:
        _skips_logged.add((message, *args))
        logger.info("dephealth: " + message, *args)


def _overrides(value: Any) -> dict[str, Any]:
    # Validated by the settings parser; a mapping of factory keywords here.
    return dict(value) if isinstance(value, Mapping) else {}
