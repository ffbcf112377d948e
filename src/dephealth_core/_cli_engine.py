"""What both ``dephealth`` subcommands share: exit codes and building the engine from the file."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._exceptions import ConfigError

if TYPE_CHECKING:
    from ._engine import DependencyHealth

EXIT_READY = 0
EXIT_NOT_READY = 1
EXIT_BAD_CONFIG = 2


def load_engine(config: str | None, *, metrics: bool) -> DependencyHealth:
    """Build the engine from the file and the environment, with a registry of its own.

    Raises:
        ConfigError: for bad configuration, or when no dependency is configured.
        ImportError: when a dependency's driver is missing (the message names the extra).
    """
    from ._engine import DependencyHealth

    if metrics:
        from prometheus_client import CollectorRegistry

        engine = DependencyHealth.from_config(toml_path=config, registry=CollectorRegistry())
    else:
        engine = DependencyHealth.from_config(toml_path=config, metrics=False)
    if not engine.dependencies:
        where = f"in {config!r} or " if config else "in a --config file or "
        raise ConfigError(f"no dependencies configured ({where}DEPHEALTH_<DEP>_URL variables)")
    return engine


def config_problem(exc: ConfigError | ImportError) -> str:
    """The one line ``dephealth`` prints for a configuration it cannot use."""
    if isinstance(exc, ConfigError):
        return f"dephealth: bad configuration: {exc}"
    return f"dephealth: {exc}"
