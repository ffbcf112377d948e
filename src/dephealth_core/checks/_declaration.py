"""How a checker kind declares its options: one ``TypedDict``, one key per option.

The declaration is the single place an option's name and type are written down. The factory
takes it as its keyword arguments (``**options: Unpack[...]``), so type checkers and IDEs see
every option; from it derive the names a mapping or the environment may set
(``Kind.options``), the keywords a factory accepts at run time (:meth:`Kind.declare`), and
the type check each option gets at construction with its error message, read from an
``Annotated[..., Expects("a string")]`` marker. What a kind checks beyond the type (choices,
ranges, combinations) stays in the kind's own settings function.

A factory's docstring describes what is its kind's own; :func:`declares` adds the keywords
every factory takes, described here once.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, get_type_hints

if TYPE_CHECKING:
    from .._dependency import Dependency, Kind

Factory = TypeVar("Factory", bound="Callable[..., Dependency]")

#: The indentation of an ``Args:`` entry in a cleaned docstring; deeper lines continue one.
_ENTRY = " " * 4
#: Where the shared entries stand: each after the last of those before it.
_ADDRESS_ORDER = ("name", "critical", "url", "host", "port")
_COMMON = "``interval``, ``timeout``, ``initial_delay``, thresholds, ``labels``."


@dataclass(frozen=True, slots=True)
class Expects:
    """Marks an option that must be a string when given; ``what`` goes in the error message."""

    what: str


def declared_keys(declaration: type[Any]) -> frozenset[str]:
    """Every keyword a declaration holds, inherited ones included."""
    return frozenset(declaration.__annotations__)


def expectations(declaration: type[Any]) -> dict[str, str]:
    """``option -> what it must be`` for the options marked with :class:`Expects`."""
    found: dict[str, str] = {}
    for key, hint in get_type_hints(declaration, include_extras=True).items():
        for marker in getattr(hint, "__metadata__", ()):
            if isinstance(marker, Expects):
                found[key] = marker.what
    return found


def type_errors(
    expects: Mapping[str, str], options: Mapping[str, Any]
) -> Iterator[tuple[str, str]]:
    """``(option, message)`` for each given option that is not the string it must be."""
    for key, what in expects.items():
        value = options.get(key)
        if value is not None and not isinstance(value, str):
            yield key, f"expected {what}"


def declares(kind: Kind) -> Callable[[Factory], Factory]:
    """Marks the factory of ``kind`` and completes its docstring with the shared keywords.

    The factory's docstring writes its summary, ``url`` and the kind's own options under
    ``Args:``; ``name``, ``critical``, ``host`` and ``port`` (with the kind's default port)
    take their places around ``url`` and ``**common`` comes last, each unless the docstring
    writes its own.
    """

    def complete(factory: Factory) -> Factory:
        factory.__doc__ = factory_doc(factory.__doc__ or "", kind.default_port)
        return factory

    return complete


def factory_doc(doc: str, default_port: int | None) -> str:
    """``doc`` with the shared entries it does not write added to its ``Args:`` section."""
    if default_port is None:
        host = "the host, instead of ``url``."
        port = "the port (required)."
    else:
        host = f"the host, instead of ``url``; ``port`` defaults to {default_port}."
        port = f"the port, with ``host`` (default {default_port})."
    shared = {
        "name": "the dependency name (``[a-z][a-z0-9-]*``).",
        "critical": "whether the service cannot work without it (required).",
        "host": host,
        "port": port,
    }
    lines = inspect.cleandoc(doc).splitlines()
    start = lines.index("Args:") + 1
    entries: list[list[str]] = []
    for line in lines[start:]:
        if line.startswith(_ENTRY + " ") and entries:
            entries[-1].append(line)
        else:
            entries.append([line])
    keys = [entry[0].strip().partition(":")[0] for entry in entries]
    for key, text in shared.items():
        if key in keys:
            continue
        before = _ADDRESS_ORDER[: _ADDRESS_ORDER.index(key)]
        at = max((keys.index(k) + 1 for k in before if k in keys), default=0)
        entries.insert(at, [f"{_ENTRY}{key}: {text}"])
        keys.insert(at, key)
    if "**common" not in keys:
        entries.append([f"{_ENTRY}**common: {_COMMON}"])
    return "\n".join([*lines[:start], *(line for entry in entries for line in entry)])
