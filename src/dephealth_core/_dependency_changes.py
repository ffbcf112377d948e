"""Changes to an engine's dependencies after construction, from any thread.

A dependency added or replaced is validated in the caller's thread (so a ``ConfigError`` reaches
the caller), then the change is applied on the engine's loop and waited for
(:func:`~._scheduler.call_on_loop`): on a running engine the new checks start at once and a
removed dependency's series go with the next snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol

from . import _config
from ._endpoint_table import require_dependency
from ._exceptions import ConfigError
from ._scheduler import call_on_loop

if TYPE_CHECKING:
    import asyncio

    from ._dependency import Dependency
    from ._endpoint_table import EndpointTable, PreparedDependency
    from ._publisher import SnapshotPublisher
    from ._scheduler import Scheduler


class _Engine(Protocol):
    """What the changes need of ``DependencyHealth``: its table, scheduler and loop."""

    _table: EndpointTable
    _scheduler: Scheduler
    _publisher: SnapshotPublisher
    _environ: Mapping[str, str]
    _loop: asyncio.AbstractEventLoop | None
    _activated: bool
    _state: str


class DependencyChangesMixin:
    """``add_dependency``, ``remove_dependency`` and ``replace_dependency`` of
    ``DependencyHealth``."""

    def add_dependency(self: _Engine, dependency: Dependency) -> None:
        """Add a dependency; on a running engine its checks start at once."""
        prepared = _prepare(self, dependency)
        if prepared.dependency.name in self._table:
            raise ConfigError(
                "duplicate dependency name", dependency=prepared.dependency.name, field="name"
            )
        _call_on_loop(self, lambda: _apply_add(self, prepared))

    def remove_dependency(self: _Engine, name: str) -> None:
        """Remove a dependency, its endpoints and all their metric series."""
        if name not in self._table:
            raise KeyError(name)
        _call_on_loop(self, lambda: _apply_remove(self, name))

    def replace_dependency(self: _Engine, dependency: Dependency) -> None:
        """Replace the dependency of the same name (new address, options or settings)."""
        prepared = _prepare(self, dependency)
        name = prepared.dependency.name
        if name not in self._table:
            raise KeyError(name)

        def apply() -> None:
            _apply_remove(self, name)
            _apply_add(self, prepared)

        _call_on_loop(self, apply)


def _prepare(engine: _Engine, dependency: Dependency) -> PreparedDependency:
    require_dependency(dependency)
    merged = _config.merge_environment([dependency], engine._environ)[0]
    return engine._table.prepare(merged)


def _call_on_loop(engine: _Engine, action: Callable[[], None]) -> None:
    call_on_loop(engine._loop if engine._activated else None, action)


def _apply_add(engine: _Engine, prepared: PreparedDependency) -> None:
    engine._table.add(prepared)
    if not engine._activated:
        return
    if prepared.checker is None:
        engine._table.resolve(prepared)
    engine._scheduler.add(prepared, engine._loop if engine._state == "running" else None)
    engine._publisher.flush()


def _apply_remove(engine: _Engine, name: str) -> None:
    engine._scheduler.remove(engine._table.remove(name))
    if engine._activated:
        engine._publisher.flush()
