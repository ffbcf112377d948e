"""What the driver-based checkers share: lazy driver imports, timeouts, pool-type errors."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from .._classify import classify
from .._dependency import Dependency
from .._exceptions import (
    AuthError,
    CheckError,
    CheckTimeout,
    ConfigError,
    ConnectionRefused,
    DnsError,
    HostUnreachable,
    NetworkUnreachable,
    PoolExhausted,
    QueryError,
    TlsError,
    Unhealthy,
)
from .._settings import DEFAULT_TIMEOUT
from .._validation import check_duration

_DETAIL_CLASSES: dict[str, type[CheckError]] = {
    "timeout": CheckTimeout,
    "connection_refused": ConnectionRefused,
    "network_unreachable": NetworkUnreachable,
    "host_unreachable": HostUnreachable,
    "dns_error": DnsError,
    "auth_error": AuthError,
    "tls_error": TlsError,
    "unhealthy": Unhealthy,
    "pool_exhausted": PoolExhausted,
    "query_error": QueryError,
}


def import_driver(module: str, *, extra: str, kind: str) -> ModuleType:
    """Import a driver module, or raise an ``ImportError`` that names the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        package = module.split(".")[0]
        raise ImportError(
            f"{kind} checks need {package}: pip install 'dephealth-suite[{extra}]'"
        ) from exc


def check_timeout(dependency: Dependency) -> float:
    """The dependency's own check timeout in seconds, or the default one.

    Drivers with their own socket timeouts (blocking ones above all) are given this value,
    so that a check the engine has given up on also ends in its thread.
    """
    if dependency.timeout is None:
        return DEFAULT_TIMEOUT
    return check_duration(dependency.timeout, field="timeout", dependency=dependency.name)


def acquire_budget(timeout: float) -> float:
    """How long a borrow may wait: the check's timeout less a margin to report exhaustion."""
    return max(timeout - min(0.5, timeout / 4), timeout / 2)


def probe_budget(timeout: float) -> float:
    """How long the refused-connection probe after a timed-out borrow may take."""
    return max((timeout - acquire_budget(timeout)) / 2, 0.05)


def unsupported_source(
    dependency: Dependency, source: Any, field: str, supported: str
) -> ConfigError:
    """The error for a pool or client object of a type the kind cannot check through."""
    kind = type(source)
    return ConfigError(
        f"unsupported {field} object of type {kind.__module__}.{kind.__qualname__}; "
        f"supported: {supported}",
        dependency=dependency.name,
        field=field,
    )


def platform_error(exc: BaseException, message: str, *, default: str = "error") -> CheckError:
    """A classified error from the platform causes in ``exc``'s chain (socket, resolver, TLS).

    ``default`` is the detail used when the chain holds nothing recognisable.
    """
    detail = classify(exc)
    if detail == "error":
        detail = default
    return _DETAIL_CLASSES.get(detail, CheckError)(message, detail=detail)
