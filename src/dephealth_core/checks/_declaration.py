"""How a checker kind declares its options: one ``TypedDict``, one key per option.

The declaration is the single place an option's name and type are written down. The factory
takes it as its keyword arguments (``**options: Unpack[...]``), so type checkers and IDEs see
every option; from it derive the names a mapping or the environment may set
(``Kind.options``), the keywords a factory accepts at run time (:meth:`Kind.declare`), and
the type check each option gets at construction with its error message, read from an
``Annotated[..., Expects("a string")]`` marker. What a kind checks beyond the type (choices,
ranges, combinations) stays in the kind's own settings function.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, get_type_hints


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
