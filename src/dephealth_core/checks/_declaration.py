"""How a checker kind declares its options: one frozen dataclass, one field per option.

The declaration is the single place an option's name is written down. From it derive the
names a mapping or the environment may set (``Kind.options``), the keyword arguments a
factory hands over (:meth:`Kind.declare`), the type check every option gets at construction
and its error message. What a kind checks beyond the type (choices, ranges, combinations)
stays in the kind's own settings function.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any


def option(*, expects: str | None = None, secret: bool = False) -> Any:
    """One option of a declaration; ``None`` (the default) means "not given".

    Args:
        expects: what a given value must be, said in the error message; a value that is not
            a string fails with ``expected <expects>``. ``None``: the kind checks the value.
        secret: the value is a credential: kept out of the declaration's ``repr``.
    """
    return dataclasses.field(default=None, repr=not secret, metadata={"expects": expects})


def option_names(declaration: type[Any]) -> frozenset[str]:
    """The names of the options a declaration holds."""
    return frozenset(item.name for item in dataclasses.fields(declaration))


def type_errors(declaration: type[Any], options: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """``(option, message)`` for each given option whose value has not the declared type."""
    for item in dataclasses.fields(declaration):
        expects = item.metadata.get("expects")
        value = options.get(item.name)
        if expects is not None and value is not None and not isinstance(value, str):
            yield item.name, f"expected {expects}"
