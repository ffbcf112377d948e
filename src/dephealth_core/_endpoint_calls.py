"""dephealth's endpoint-level calls, on top of the engine's dependency-level ones.

``add_endpoint(dep_name, dep_type, critical, endpoint, checker)`` declares a custom-checked
dependency (:func:`~.checks._custom.custom_check`); several endpoints added under one name
become one dependency whose checks dispatch by address. Removing or replacing one endpoint
redeclares the dependency with the others (their state starts again from *unknown*).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ._dependency import Dependency, Endpoint
from ._dephealth_types import DependencyType
from ._exceptions import ConfigError, EndpointNotFoundError, StateError
from ._snapshot import EndpointStatus
from ._urls import format_host
from .checks._custom import custom_check


class _Engine(Protocol):
    """What these calls need of ``DependencyHealth``: its dependency-level calls."""

    @property
    def running(self) -> bool: ...
    @property
    def dependencies(self) -> tuple[Dependency, ...]: ...
    def health_details(self) -> Mapping[str, EndpointStatus]: ...
    def add_dependency(self, dependency: Dependency) -> None: ...
    def remove_dependency(self, name: str) -> None: ...
    def replace_dependency(self, dependency: Dependency) -> None: ...


@dataclass(frozen=True)
class _Added:
    host: str
    port: str
    labels: Mapping[str, str]
    checker: Any


class _ByAddress:
    """The checkers of one dependency's endpoints, chosen by the endpoint's address."""

    def __init__(self, added: list[_Added]) -> None:
        self._checkers = {(a.host, a.port): a.checker for a in added}

    async def check(self, endpoint: Endpoint) -> None:
        checker = self._checkers[(endpoint.host, endpoint.port)]
        if inspect.iscoroutinefunction(checker.check):
            await checker.check(endpoint)
        else:
            await asyncio.to_thread(checker.check, endpoint)


class EndpointCalls:
    """The ``add_endpoint`` / ``remove_endpoint`` / ``update_endpoint`` family of one engine."""

    def __init__(self, engine: _Engine) -> None:
        self._engine = engine
        self._added: dict[str, tuple[str, bool, list[_Added]]] = {}

    def add(
        self,
        dep_name: str,
        dep_type: DependencyType | str,
        critical: bool,
        endpoint: Endpoint,
        checker: Any,
    ) -> None:
        self._require_running()
        kind = _check_type(dep_name, dep_type)
        host, port = _address(dep_name, endpoint)
        if f"{dep_name}:{host}:{port}" in self._engine.health_details():
            return  # dephealth's add_endpoint is idempotent
        if dep_name not in self._added and dep_name in self._engine_names():
            raise ConfigError(
                "declared at construction: add endpoints only to names added with add_endpoint",
                dependency=dep_name,
                field="name",
            )
        _, _, added = self._added.get(dep_name, (kind, critical, []))
        entries = [*added, _Added(host, port, dict(endpoint.labels), checker)]
        self._declare(dep_name, kind, bool(critical), entries, replace=bool(added))

    def remove(self, dep_name: str, host: str, port: str) -> None:
        self._require_running()
        if f"{dep_name}:{host}:{port}" not in self._engine.health_details():
            return  # idempotent, as in dephealth
        if dep_name not in self._added:
            self._engine.remove_dependency(dep_name)
            return
        kind, critical, added = self._added[dep_name]
        rest = [a for a in added if (a.host, a.port) != (host, str(port))]
        if rest:
            self._declare(dep_name, kind, critical, rest, replace=True)
        else:
            del self._added[dep_name]
            self._engine.remove_dependency(dep_name)

    def update(
        self, dep_name: str, old_host: str, old_port: str, new_endpoint: Endpoint, checker: Any
    ) -> None:
        self._require_running()
        old = self._engine.health_details().get(f"{dep_name}:{old_host}:{old_port}")
        if old is None:
            raise EndpointNotFoundError(dep_name, old_host, old_port)
        _address(dep_name, new_endpoint)
        self.remove(dep_name, old_host, old_port)
        self.add(dep_name, old.type, old.critical, new_endpoint, checker)

    def _declare(
        self, name: str, kind: str, critical: bool, entries: list[_Added], *, replace: bool
    ) -> None:
        labels: dict[str, str] = {}
        for entry in entries:
            labels.update(entry.labels)
        if len(entries) == 1:
            dependency: Dependency = custom_check(
                name,
                checker=entries[0].checker,
                host=entries[0].host,
                port=entries[0].port,
                critical=critical,
                labels=labels,
                type=kind,
            )
        else:
            url = f"{kind}://" + ",".join(f"{format_host(e.host)}:{e.port}" for e in entries)
            dependency = custom_check(
                name,
                checker=_ByAddress(entries),
                url=url,
                critical=critical,
                labels=labels,
                type=kind,
            )
        if replace:
            self._engine.replace_dependency(dependency)
        else:
            self._engine.add_dependency(dependency)
        self._added[name] = (kind, critical, entries)

    def _engine_names(self) -> set[str]:
        return {d.name for d in self._engine.dependencies}

    def _require_running(self) -> None:
        if not self._engine.running:
            raise StateError("the checks are not running: call start() or start_sync() first")


class EndpointCallsMixin:
    """dephealth's endpoint-level methods of ``DependencyHealth``; the async forms run on the
    loop, the ``_sync`` ones from any thread (for instances started with ``start_sync``)."""

    _endpoint_calls: EndpointCalls

    async def add_endpoint(
        self, dep_name: str, dep_type: str, critical: bool, endpoint: Endpoint, checker: Any
    ) -> None:
        """Check ``endpoint`` with ``checker`` (idempotent); ``StateError`` unless running."""
        self._endpoint_calls.add(dep_name, dep_type, critical, endpoint, checker)

    async def remove_endpoint(self, dep_name: str, host: str, port: str) -> None:
        """Stop checking one endpoint and drop its series (idempotent)."""
        self._endpoint_calls.remove(dep_name, host, port)

    async def update_endpoint(
        self, dep_name: str, old_host: str, old_port: str, new_endpoint: Endpoint, checker: Any
    ) -> None:
        """Replace an endpoint; ``EndpointNotFoundError`` when the old one is not checked."""
        self._endpoint_calls.update(dep_name, old_host, old_port, new_endpoint, checker)

    def add_endpoint_sync(
        self, dep_name: str, dep_type: str, critical: bool, endpoint: Endpoint, checker: Any
    ) -> None:
        """:meth:`add_endpoint` from any thread, for instances started with :meth:`start_sync`."""
        self._endpoint_calls.add(dep_name, dep_type, critical, endpoint, checker)

    def remove_endpoint_sync(self, dep_name: str, host: str, port: str) -> None:
        """:meth:`remove_endpoint` from any thread."""
        self._endpoint_calls.remove(dep_name, host, port)

    def update_endpoint_sync(
        self, dep_name: str, old_host: str, old_port: str, new_endpoint: Endpoint, checker: Any
    ) -> None:
        """:meth:`update_endpoint` from any thread."""
        self._endpoint_calls.update(dep_name, old_host, old_port, new_endpoint, checker)


def _check_type(dep_name: str, dep_type: object) -> str:
    try:
        return DependencyType(str(dep_type)).value
    except ValueError:
        raise ConfigError(
            f"invalid dependency type: {dep_type!r}", dependency=dep_name, field="type"
        ) from None


def _address(dep_name: str, endpoint: Endpoint) -> tuple[str, str]:
    if not isinstance(endpoint, Endpoint):
        raise ConfigError(
            f"expected an Endpoint, got {type(endpoint).__name__}", dependency=dep_name
        )
    if not endpoint.host:
        raise ConfigError("endpoint host must not be empty", dependency=dep_name, field="host")
    if not endpoint.port:
        raise ConfigError("endpoint port must not be empty", dependency=dep_name, field="port")
    return endpoint.host, str(endpoint.port)
