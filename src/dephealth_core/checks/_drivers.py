"""What the driver-based checkers share: lazy driver imports, the timeout, platform errors."""

from __future__ import annotations

import importlib
from types import ModuleType

from .._classify import classify
from .._dependency import Dependency
from .._exceptions import (
    AuthError,
    CheckError,
    CheckTimeout,
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


def platform_error(exc: BaseException, message: str, *, default: str = "error") -> CheckError:
    """A classified error from the platform causes in ``exc``'s chain (socket, resolver, TLS).

    ``default`` is the detail used when the chain holds nothing recognisable.
    """
    detail = classify(exc)
    if detail == "error":
        detail = default
    return _DETAIL_CLASSES.get(detail, CheckError)(message, detail=detail)
