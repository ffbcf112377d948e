"""The one parser of flat ``DEPHEALTH_*`` keys: the environment and flat app configs.

::

    DEPHEALTH_NAME, DEPHEALTH_GROUP, DEPHEALTH_CHECK_INTERVAL, DEPHEALTH_TIMEOUT, ...
    DEPHEALTH_<DEP>_URL, DEPHEALTH_<DEP>_CRITICAL, DEPHEALTH_<DEP>_LABEL_<KEY>, ...

where ``<DEP>`` is the dependency name in upper case with ``-`` as ``_``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, TypedDict

from ._validation import Duration

PREFIX: Final = "DEPHEALTH_"


class EngineSettings(TypedDict, total=False):
    """The keywords of ``DependencyHealth`` that ``DEPHEALTH_*`` keys and configuration
    mappings set as well; an adapter that passes them on takes ``**Unpack[EngineSettings]``."""

    name: str | None
    group: str | None
    check_interval: Duration | None
    timeout: Duration | None
    initial_delay: Duration | None
    failure_threshold: int | None
    success_threshold: int | None
    share_workers: bool | None


#: Global keys: flat name -> keyword of ``DependencyHealth`` (``DEPHEALTH_CHECK_INTERVAL``...).
GLOBAL_KEYS: Final[Mapping[str, str]] = MappingProxyType(
    {key.upper(): key for key in EngineSettings.__annotations__}
)

FIELD_ALIASES = {"check_interval": "interval"}
#: A flat key ending in one of these declares a dependency of its own.
_DEPENDENCY_MARKERS = ("_URL", "_TYPE", "_HOST")
_LABEL = "LABEL_"


def env_name(dependency: str) -> str:
    """``"postgres-main"`` -> ``"POSTGRES_MAIN"``."""
    return dependency.upper().replace("-", "_")


@dataclass(frozen=True)
class FlatSettings:
    """Flat ``DEPHEALTH_*`` keys taken apart.

    Attributes:
        globals: ``DependencyHealth`` keyword -> value (``name``, ``check_interval``...).
        dependencies: dependency name -> its fields (lower-case, labels gathered), for the
            names given as known and those the keys declare.
        declared: the names the keys declare (a ``_URL``, ``_TYPE`` or ``_HOST`` key) beyond
            the known ones, in key order.
    """

    globals: dict[str, Any]
    dependencies: dict[str, dict[str, Any]]
    declared: list[str]


def parse_flat_keys(
    flat: Mapping[str, Any], known: Iterable[str] = (), *, ignore: Iterable[str] = ()
) -> FlatSettings:
    """The one parser of flat ``DEPHEALTH_*`` keys (environment, Flask config).

    A key belongs to the dependency with the longest matching name, so that
    ``DEPHEALTH_DB_REPLICA_URL`` is ``db-replica``'s even when ``db`` is known. Text values
    that look like JSON (``{...}``, ``[...]``) are decoded; blank global values are unset.

    Args:
        flat: the keys and values; keys without the prefix are skipped.
        known: dependency names declared elsewhere (code), whose keys are collected too.
        ignore: flat keys that are not the engine's (an adapter's own options).
    """
    skipped = set(ignore)
    found_globals: dict[str, Any] = {}
    rest: dict[str, str] = {}
    for key, value in flat.items():
        if not isinstance(key, str) or not key.startswith(PREFIX) or key in skipped:
            continue
        if value is None:
            continue
        upper = key[len(PREFIX) :]
        if upper in GLOBAL_KEYS:
            if not isinstance(value, str) or value.strip():
                found_globals[GLOBAL_KEYS[upper]] = _decode(value)
            continue
        rest[upper] = value
    owners = {env_name(name): name for name in known}
    declared: list[str] = []
    for upper in sorted(rest):
        if "_" + _LABEL in "_" + upper:
            continue  # a label key never declares a dependency: DEPHEALTH_X_LABEL_URL
        for marker in _DEPENDENCY_MARKERS:
            if upper.endswith(marker):
                base = upper[: -len(marker)]
                if base and base not in owners:
                    name = base.lower().replace("_", "-")
                    owners[base] = name
                    declared.append(name)
                break
    by_length = sorted(owners, key=len, reverse=True)
    dependencies: dict[str, dict[str, Any]] = {owners[base]: {} for base in owners}
    for upper, value in rest.items():
        owner = next((b for b in by_length if upper.startswith(b + "_")), None)
        if owner is None:
            continue
        param = upper[len(owner) + 1 :]
        fields = dependencies[owners[owner]]
        if param.startswith(_LABEL) and len(param) > len(_LABEL):
            fields.setdefault("labels", {})[param[len(_LABEL) :].lower()] = value
        elif param:
            lowered = param.lower()
            fields[FIELD_ALIASES.get(lowered, lowered)] = _decode(value)
    return FlatSettings(found_globals, dependencies, declared)


def _decode(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text[:1] in ("{", "["):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text
