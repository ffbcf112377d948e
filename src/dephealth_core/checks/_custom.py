"""Custom checks: any object with ``check(endpoint)`` declared like a built-in kind.

dephealth's ``HealthChecker`` objects (``async check(endpoint)`` raising its ``CheckError``
subclasses, ``checker_type()``) fit as they are; so does a plain function-style checker whose
``check`` is synchronous (it runs in the engine's thread pool).
"""

from __future__ import annotations

from typing import Any, Unpack

from .._dependency import Dependency, EndpointOptions, Kind, Target
from .._exceptions import ConfigError

#: The ``type`` label values of the contract.
CONTRACT_TYPES = frozenset(
    {"http", "grpc", "tcp", "postgres", "mysql", "redis", "amqp", "kafka", "ldap"}
)


class CustomOptions(EndpointOptions, total=False):
    """The keywords of :func:`custom_check`: the endpoint, the common options and ``type``."""

    type: str | None


def custom_check(name: str, *, checker: Any, **options: Unpack[CustomOptions]) -> Dependency:
    """Declare a dependency checked by your own checker.

    Args:
        name: the dependency name (``[a-z][a-z0-9-]*``).
        checker: an object with ``check(endpoint)`` (a coroutine function, or a plain function
            run in the engine's thread pool) that returns on success and raises, ideally a
            ``CheckError`` such as ``CheckConnectionRefusedError``, on failure. ``endpoint``
            has ``host``, ``port`` (a string) and ``labels``.
        critical: whether the service cannot work without it (required).
        url: ``scheme://host:port`` (several hosts separated by commas).
        host: the host, instead of ``url``.
        port: the port (required with ``host``).
        type: the ``type`` label, one of the contract's types; default: the checker's
            ``checker_type()`` when it has one, else ``tcp``.
        **common: ``interval``, ``timeout``, ``initial_delay``, ``failure_threshold``,
            ``success_threshold``, ``labels``.

    Raises:
        ConfigError: when ``checker`` has no ``check`` or the type is not a contract type.
    """
    if not callable(getattr(checker, "check", None)):
        raise ConfigError(
            f"expected an object with a check(endpoint) method, got {type(checker).__name__}",
            dependency=name,
            field="checker",
        )
    chosen = options.pop("type", None)
    if chosen is None:
        checker_type = getattr(checker, "checker_type", None)
        chosen = checker_type() if callable(checker_type) else "tcp"
    chosen = str(chosen)
    if chosen not in CONTRACT_TYPES:
        raise ConfigError(
            f"expected one of {', '.join(sorted(CONTRACT_TYPES))}, got {chosen!r}",
            dependency=name,
            field="type",
        )

    def make_checker(dependency: Dependency, target: Target) -> Any:
        return checker

    kind = Kind(
        type=chosen, default_port=None, make_checker=make_checker, declaration=EndpointOptions
    )
    return kind.declare(name, options)
