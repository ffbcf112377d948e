"""What a factory returns: a :class:`Dependency`, validated and turned into endpoints and a checker.

A dependency is user input (name, kind, critical, URL or host/port or pool, overrides). Its
:class:`Kind` knows the type's default port, how to read an address from a pool or client,
and how to build the :class:`Checker` that checks one :class:`Endpoint` at a time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeAlias, TypedDict, runtime_checkable

from ._exceptions import ConfigError
from ._hosts import check_host, check_port
from ._urls import SCHEMES, parse_url
from ._validation import Duration, check_bool, check_labels, check_name
from .checks._declaration import declared_keys, expectations, type_errors


@dataclass(frozen=True, slots=True, eq=False)
class Endpoint:
    """One checked address of a dependency: one series per metric family.

    ``Endpoint(host, port, labels)`` is dephealth's shape (for ``add_endpoint`` and custom
    checkers); the engine fills in the rest, keyword-only.
    """

    host: str
    port: str
    labels: Mapping[str, str] = field(default_factory=dict)
    dependency: str = field(default="", kw_only=True)
    type: str = field(default="", kw_only=True)
    critical: bool = field(default=False, kw_only=True)

    @property
    def key(self) -> str:
        """``"dependency:host:port"``, the key of :meth:`DependencyHealth.health_details`."""
        return f"{self.dependency}:{self.host}:{self.port}"


@runtime_checkable
class Checker(Protocol):
    """Checks one endpoint; returns on success, raises (ideally a ``CheckError``) on failure.

    ``check`` may be a coroutine function (run on the engine's loop) or a plain function
    (run in the engine's bounded thread pool, never on the loop). A checker may also define
    ``aclose()`` (or ``close()``) to release what it holds, and ``pool_stats()``.
    """

    def check(self, endpoint: Endpoint) -> Awaitable[None] | None:
        """Check ``endpoint``."""


@dataclass(frozen=True, slots=True)
class Target:
    """The resolved address and credentials a kind builds its checker from."""

    hosts: tuple[tuple[str, str], ...]
    tls: bool = False
    scheme: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    path: str = ""
    query: Mapping[str, str] = field(default_factory=dict, repr=False)
    source: Any = field(default=None, repr=False)


#: A kind's option declaration: a dataclass (see ``checks._declaration``).
Declaration: TypeAlias = type[Any]


@dataclass(frozen=True, slots=True)
class Kind:
    """How one dependency type is addressed and checked.

    Attributes:
        type: the ``type`` label value.
        default_port: the port used when none is given, or ``None`` when one is required.
        make_checker: builds the checker from the dependency and its resolved target.
        validate: checks the kind's options at construction; raises ``ConfigError``.
            ``None``: ``settings(dependency, None)`` does, when the kind has ``settings``.
        settings: validates and normalises the kind's options, with the resolved target
            (when checks start) or without it (at construction).
        source_hosts: reads ``(host, port)`` pairs from a pool or client object, or raises
            ``ConfigError`` for an unsupported object. ``None``: the kind has no pool mode.
        is_source: tells a supported pool or client from a zero-argument factory of one.
        supported_sources: the supported pool or client types, as the error for any other
            object lists them; ``None``: ``source_hosts`` checks the type itself.
        source_field: the keyword the pool or client is given as (``pool`` or ``client``).
        tls_default_port: the default port when TLS is asked for without a TLS scheme.
        declaration: the ``TypedDict`` of the factory's keywords (see
            ``checks._declaration``); ``None``: the kind is not built by :meth:`declare`.
        options: names of the kind's own options (for mappings and the environment),
            derived from ``declaration``.
    """

    type: str
    default_port: int | None
    make_checker: Callable[[Dependency, Target], Checker]
    validate: Callable[[Dependency], None] | None = None
    settings: Callable[[Dependency, Target | None], Any] | None = None
    source_hosts: Callable[[Dependency, Any], list[tuple[str, str]]] | None = None
    is_source: Callable[[Any], bool] | None = None
    supported_sources: str | None = None
    source_field: str = "pool"
    tls_default_port: int | None = None
    declaration: Declaration | None = None
    options: frozenset[str] = field(init=False, default=frozenset())
    keywords: frozenset[str] = field(init=False, default=frozenset(), repr=False)
    expects: Mapping[str, str] = field(init=False, default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.declaration is not None:
            keywords = declared_keys(self.declaration)
            object.__setattr__(self, "keywords", keywords)
            object.__setattr__(self, "options", keywords - _NOT_KIND_OPTIONS)
            object.__setattr__(self, "expects", expectations(self.declaration))

    def declare(self, name: str, keywords: Mapping[str, Any]) -> Dependency:
        """A factory's body: its keywords sorted into a :class:`Dependency`.

        The address, ``critical``, the pool or client and the common options go to their own
        fields; the kind's own options not left at ``None`` go to ``options``.
        """
        unknown = set(keywords) - self.keywords
        if unknown:
            raise TypeError(f"{self.type} checks take no {', '.join(sorted(unknown))} argument")
        given = dict(keywords)
        pool, client = given.pop("pool", None), given.pop("client", None)
        if pool is not None and client is not None:
            raise ConfigError(
                "give either pool= or client=, not both", dependency=name, field="client"
            )
        fields = {key: given.pop(key) for key in _DEPENDENCY_FIELDS if key in given}
        return Dependency(
            name,
            self,
            options={key: value for key, value in given.items() if value is not None},
            source=pool if pool is not None else client,
            **fields,
        )


@dataclass(frozen=True, eq=False)
class Dependency:
    """A declared dependency, as a factory such as :func:`tcp_check` returns it.

    Create it with the factories; the engine validates it when ``DependencyHealth`` is built.
    ``options`` and ``source`` may hold secrets and are kept out of ``repr``.
    """

    name: str
    kind: Kind = field(repr=False)
    critical: bool | None = None
    url: str | None = field(default=None, repr=False)
    host: str | None = None
    port: int | str | None = None
    interval: Duration | None = None
    timeout: Duration | None = None
    initial_delay: Duration | None = None
    failure_threshold: int | None = None
    success_threshold: int | None = None
    labels: Mapping[str, str] | None = None
    options: Mapping[str, Any] = field(default_factory=dict, repr=False)
    source: Any = field(default=None, repr=False)

    @property
    def type(self) -> str:
        """The dependency type (``"postgres"``, ``"http"``...)."""
        return self.kind.type

    def replace(self, **changes: Any) -> Dependency:
        """Return a copy with ``changes`` applied."""
        return dataclasses.replace(self, **changes)

    @property
    def is_lazy(self) -> bool:
        """True when ``source`` is a zero-argument factory resolved when checks start."""
        if self.source is None:
            return False
        if self.kind.is_source is not None and self.kind.is_source(self.source):
            return False
        return callable(self.source)

    def validate(self) -> None:
        """Check everything that can be checked without resolving a lazy source."""
        check_name(self.name, what="dependency", dependency=self.name)
        if self.critical is None:
            raise ConfigError(
                "'critical' is required: say critical=True or critical=False",
                dependency=self.name,
                field="critical",
            )
        check_bool(self.critical, field="critical", dependency=self.name)
        check_labels(self.labels, dependency=self.name)
        if self.url is not None and self.host is not None:
            raise ConfigError(
                "give either url= or host=/port=, not both", dependency=self.name, field="host"
            )
        if self.url is None and self.host is None and self.source is None:
            what = "url= or host=" if self.kind.source_hosts is None else "url=, host= or a pool"
            raise ConfigError(f"missing endpoint: give {what}", dependency=self.name, field="url")
        if self.url is not None:
            parsed = parse_url(self.url, dependency=self.name)
            if parsed.type != self.type and self.type != "tcp":
                raise ConfigError(
                    f"a {parsed.scheme}:// URL cannot address a {self.type} dependency",
                    dependency=self.name,
                    field="url",
                )
        if self.port is not None:
            check_port(self.port, dependency=self.name)
        if self.host is not None:
            check_host(self.host, dependency=self.name)
        if self.host is not None and self.port is None and self.kind.default_port is None:
            raise ConfigError(
                f"a {self.type} dependency needs a port", dependency=self.name, field="port"
            )
        if self.source is not None and not self.is_lazy:
            if self.kind.source_hosts is None:
                raise ConfigError(
                    f"{self.type} checks have no pool mode", dependency=self.name, field="pool"
                )
            self.check_source(self.source)
            self.kind.source_hosts(self, self.source)
        if self.kind.declaration is not None:
            for option, message in type_errors(self.kind.expects, self.options):
                raise ConfigError(message, dependency=self.name, field=option)
        if self.kind.validate is not None:
            self.kind.validate(self)
        elif self.kind.settings is not None:
            self.kind.settings(self, None)

    def check_source(self, source: Any) -> None:
        """Raise the ``ConfigError`` for a pool or client of a type the kind cannot check."""
        kind = self.kind
        if kind.supported_sources is None or kind.is_source is None or kind.is_source(source):
            return
        raise unsupported_source(self, source, kind.source_field, kind.supported_sources)

    def resolve_target(self) -> Target:
        """Resolve the address: URL, then host/port, then the (resolved) pool or client."""
        source = self.source() if self.is_lazy else self.source
        if source is not None:
            self.check_source(source)
        if self.url is not None:
            parsed = parse_url(self.url, dependency=self.name)
            return Target(
                hosts=parsed.hosts,
                tls=parsed.tls,
                scheme=parsed.scheme,
                username=parsed.username,
                password=parsed.password,
                path=parsed.path,
                query=parsed.query,
                source=source,
            )
        if self.host is not None:
            host = check_host(self.host, dependency=self.name)
            port = self.port if self.port is not None else self.kind.default_port
            return Target(hosts=((host, check_port(port, dependency=self.name)),), source=source)
        if self.kind.source_hosts is None:
            raise ConfigError("missing endpoint", dependency=self.name, field="url")
        hosts = self.kind.source_hosts(self, source)
        return Target(hosts=tuple(hosts), source=source)


def scheme_default_port(scheme: str) -> int | None:
    """The default port of a URL scheme."""
    entry = SCHEMES.get(scheme)
    return entry[1] if entry else None


def option_error(dependency: Dependency, field_name: str, message: str) -> ConfigError:
    """A ``ConfigError`` about one of a dependency's options."""
    return ConfigError(message, dependency=dependency.name, field=field_name)


def unsupported_source(
    dependency: Dependency, source: Any, field: str, supported: str
) -> ConfigError:
    """The error for a pool or client object of a type the kind cannot check through."""
    kind = type(source)
    return ConfigError(
        f"unsupported {field} type {kind.__module__}.{kind.__qualname__}; supported: {supported}",
        dependency=dependency.name,
        field=field,
    )


class CommonOptions(TypedDict, total=False):
    """Keyword options every factory takes."""

    interval: Duration | None
    timeout: Duration | None
    initial_delay: Duration | None
    failure_threshold: int | None
    success_threshold: int | None
    labels: Mapping[str, str] | None


class EndpointOptions(CommonOptions, total=False):
    """What every factory takes besides its kind's own options: the common options,
    ``critical`` and the address."""

    critical: bool | None
    url: str | None
    host: str | None
    port: int | str | None


#: Keywords of a factory that are fields of :class:`Dependency`.
_DEPENDENCY_FIELDS = frozenset(EndpointOptions.__annotations__)
#: Keywords of a factory that are not its kind's own options.
_NOT_KIND_OPTIONS = _DEPENDENCY_FIELDS | {"pool", "client"}
