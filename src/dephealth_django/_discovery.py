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

from dephealth_core import (
    Checker,
    ConfigError,
    Dependency,
    Kind,
    Target,
    check_host,
    check_port,
    parse_dependency_url,
)
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


def _alias_settings(
    setting: str, aliases: Mapping[str, Any] | None, alias: str, *, dependency: str
) -> Mapping[str, Any]:
    """The entry of ``alias`` in ``aliases``, Django's ``DATABASES`` or ``CACHES`` by default."""
    if aliases is None:
        from django.conf import settings

        aliases = getattr(settings, setting)
    entry = aliases.get(alias)
    if not isinstance(entry, Mapping):
        what = {"DATABASES": "database", "CACHES": "cache"}[setting]
        raise ConfigError(
            f"no {what} alias {alias!r}", dependency=dependency, field=setting.lower()
        )
    return entry


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
    entry = _alias_settings("DATABASES", databases, alias, dependency=dep_name)
    vendor = database_vendor(entry)
    if vendor is None:
        raise ConfigError(
            f"database {alias!r} uses {entry.get('ENGINE')!r}; only PostgreSQL and MySQL "
            "are checked",
            dependency=dep_name,
            field="databases",
        )
    type_, default_port = DATABASE_VENDORS[vendor]
    host = entry.get("HOST") or "localhost"
    if not (isinstance(host, str) and host.startswith("/")):  # a Unix socket folder is kept
        host = check_host(host, dependency=dep_name, field="host")
    given = entry.get("PORT")
    port = check_port(
        default_port if given is None or given == "" else given, dependency=dep_name, field="port"
    )
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
    entry = _alias_settings("CACHES", caches, alias, dependency=dep_name)
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
    """The ``(host, port)`` of the first server of a Redis cache ``LOCATION``.

    Read with the core's strict URL parser: a password with an unencoded ``/``, ``?``, ``#``
    or ``@`` is a ConfigError on ``url`` that quotes none of it.
    """
    first = location[0] if isinstance(location, list | tuple) and location else location
    several = False
    if isinstance(first, str):
        pieces = re.split("[;,]", first)
        first, several = pieces[0].strip(), len(pieces) > 1
    if not isinstance(first, str) or not first:
        raise ConfigError("missing LOCATION", dependency=dependency, field="caches")
    scheme = first.partition("://")[0].lower() if "://" in first else "redis"
    if scheme not in ("redis", "rediss"):
        raise UncheckableAlias(f"a {scheme}:// LOCATION has no host and port to check")
    try:
        parsed = parse_dependency_url(
            first if "://" in first else f"redis://{first}", dependency=dependency
        )
    except ConfigError:
        if not several:
            raise
        # "," and ";" separate the servers of a LOCATION: one in a password cuts it short.
        raise ConfigError(
            "cannot read the first server of LOCATION: servers are separated by ',' or ';', "
            "so percent-encode them in a password (%2C, %3B), as '@', '/', '?', '#' and '%'",
            dependency=dependency,
            field="url",
        ) from None
    return parsed.hosts[0]


class UncheckableAlias(Exception):
    """A cache alias whose ``LOCATION`` names no TCP address (a Unix socket, say)."""


@dataclass(frozen=True)
class Unchecked:
    """An alias discovery found but cannot check, and why (a system-check warning)."""

    kind: str  # "database" or "cache"
    alias: str
    reason: str


def discover(
    databases: Mapping[str, Any],
    caches: Mapping[str, Any],
    *,
    discover_databases: bool,
    discover_caches: bool,
    database_options: Mapping[str, Any],
    cache_options: Mapping[str, Any],
    unchecked: list[Unchecked] | None = None,
) -> list[Dependency]:
    """One dependency per PostgreSQL/MySQL database and Redis cache alias.

    ``database_options``/``cache_options`` map an alias to ``False`` (not checked) or to
    overrides (``name``, ``critical``, ``interval``, ``labels``...). Other engines and
    backends are skipped with one info line each. Redis aliases that cannot be checked are
    skipped too, and added to ``unchecked`` for the system checks to warn about.
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
        except UncheckableAlias as exc:
            _skipped("cache %r is not checked: %s", alias, str(exc))
            if unchecked is not None:
                unchecked.append(Unchecked("cache", alias, str(exc)))
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
