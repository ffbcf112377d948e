"""The endpoint table: the declared dependencies, validated, and the endpoints they resolve to.

A dependency is prepared at construction (settings merged with the engine's defaults, labels
and ``critical`` checked) and resolved to endpoints and a checker either then or, for a lazy
pool or client, when the checks start. After a fork the lazy ones are resolved again.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ._dependency import Checker, Dependency, Endpoint
from ._exceptions import ConfigError
from ._settings import CheckSettings
from ._validation import check_bool, check_labels


@dataclass(slots=True)
class PreparedDependency:
    """A validated dependency; ``checker`` and ``endpoints`` are empty until it is resolved."""

    dependency: Dependency
    settings: CheckSettings
    critical: bool
    labels: Mapping[str, str]
    endpoints: tuple[Endpoint, ...] = ()
    checker: Checker | None = None


def require_dependency(dependency: object) -> None:
    """Raise ``ConfigError`` unless ``dependency`` came from a factory."""
    if not isinstance(dependency, Dependency):
        raise ConfigError(
            "expected a dependency from a factory such as tcp_check(), got "
            f"{type(dependency).__name__}"
        )


class EndpointTable:
    """Dependency name -> :class:`PreparedDependency`, in declaration order."""

    def __init__(self, defaults: CheckSettings) -> None:
        self.defaults = defaults
        self._prepared: dict[str, PreparedDependency] = {}

    def __contains__(self, name: object) -> bool:
        return name in self._prepared

    def __iter__(self) -> Iterator[PreparedDependency]:
        return iter(list(self._prepared.values()))

    def __getitem__(self, name: str) -> PreparedDependency:
        return self._prepared[name]

    @property
    def names(self) -> list[str]:
        """The dependency names, in order."""
        return list(self._prepared)

    def shortest_interval(self, default: float) -> float:
        """The shortest check interval of the table, ``default`` when it is empty."""
        return min((p.settings.interval for p in self._prepared.values()), default=default)

    def prepare(self, dependency: Dependency) -> PreparedDependency:
        """Validate ``dependency``; resolve it now unless its pool or client is lazy."""
        require_dependency(dependency)
        dependency.validate()
        name = dependency.name
        prepared = PreparedDependency(
            dependency=dependency,
            settings=CheckSettings.for_dependency(dependency, self.defaults),
            critical=check_bool(dependency.critical, field="critical", dependency=name),
            labels=MappingProxyType(check_labels(dependency.labels, dependency=name)),
        )
        if not dependency.is_lazy:
            self.resolve(prepared)
        return prepared

    def resolve(self, prepared: PreparedDependency) -> None:
        """Build the endpoints and the checker of ``prepared``."""
        dependency = prepared.dependency
        target = dependency.resolve_target()
        endpoints = tuple(
            Endpoint(
                dependency=dependency.name,
                type=dependency.type,
                host=host,
                port=port,
                critical=prepared.critical,
                labels=prepared.labels,
            )
            for host, port in target.hosts
        )
        keys = [endpoint.key for endpoint in endpoints]
        if len(set(keys)) != len(keys):
            raise ConfigError(
                "the same host and port appear twice", dependency=dependency.name, field="url"
            )
        # The checker sees the effective timeout (global default included): a pool borrow can
        # give up just before it (pool_exhausted), and blocking drivers get socket timeouts.
        prepared.checker = dependency.kind.make_checker(
            dependency.replace(timeout=prepared.settings.timeout), target
        )
        prepared.endpoints = endpoints

    def resolve_all(self) -> None:
        """Resolve every dependency not resolved yet (lazy pools and clients)."""
        for prepared in self._prepared.values():
            if prepared.checker is None:
                self.resolve(prepared)

    def add(self, prepared: PreparedDependency) -> None:
        """Add a prepared dependency; a name already present is a ``ConfigError``."""
        name = prepared.dependency.name
        if name in self._prepared:
            raise ConfigError("duplicate dependency name", dependency=name, field="name")
        self._prepared[name] = prepared

    def remove(self, name: str) -> PreparedDependency:
        """Remove and return the dependency ``name`` (``KeyError`` when absent)."""
        return self._prepared.pop(name)

    def forget_lazy(self) -> None:
        """Unresolve lazy dependencies: their pools belong to a loop or process that is gone."""
        for prepared in self._prepared.values():
            if prepared.dependency.is_lazy:
                prepared.checker = None
                prepared.endpoints = ()
