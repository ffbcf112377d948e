"""``DEPHEALTH_*`` keys of ``app.config``: the engine's flat keys plus the extension's own.

The engine keys are the environment's (``DEPHEALTH_NAME``, ``DEPHEALTH_<DEP>_URL``...). Keys
of a dependency declared in code fill what the code left unset, after the environment; keys of
other dependencies declare them. Precedence: code, then environment, then ``app.config``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from dephealth_core import Dependency, DependencyHealth, ViewOptions, read_flat_config

#: The extension's own keys: view and start options, never taken for engine settings.
EXTENSION_KEYS: dict[str, str] = {**ViewOptions.flat_keys(), "DEPHEALTH_START": "start"}


def extension_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """The extension's options found in ``config``, by keyword name."""
    return {
        keyword: config[key]
        for key, keyword in EXTENSION_KEYS.items()
        if config.get(key) is not None
    }


def build_engine(
    config: Mapping[str, Any],
    dependencies: Sequence[Dependency],
    *,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> DependencyHealth:
    """A ``DependencyHealth`` from code (``dependencies``, ``overrides``) and ``config``."""
    env = os.environ if environ is None else environ
    nested, merged = read_flat_config(config, dependencies, environ=env, ignore=EXTENSION_KEYS)
    return DependencyHealth.from_config(nested, *merged, environ=env, **overrides)
