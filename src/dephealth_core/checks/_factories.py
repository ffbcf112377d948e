"""What the factories share: the description of the keywords every kind takes.

A factory's docstring describes what is its kind's own (its summary, ``url`` and its options);
:func:`declares` adds ``name``, ``critical``, ``host``, ``port`` and ``**common``, written
here once, with the kind's default port.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TypeVar

from .._dependency import Dependency, Kind

Factory = TypeVar("Factory", bound=Callable[..., Dependency])

#: The indentation of an ``Args:`` entry in a cleaned docstring; deeper lines continue one.
_ENTRY = " " * 4
#: Where the shared entries stand: each after the last of those before it.
_ADDRESS_ORDER = ("name", "critical", "url", "host", "port")
_COMMON = "``interval``, ``timeout``, ``initial_delay``, thresholds, ``labels``."


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
