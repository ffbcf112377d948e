"""The small types and helpers of dephealth's API that its users construct or call.

``DependencyType`` names the contract's dependency types; ``CheckConfig`` is dephealth's timing
record (seconds); ``HealthChecker`` is the protocol of its custom checkers; ``CheckResult`` and
:func:`classify_error` its classification; the label helpers validate as the engine does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, Protocol, runtime_checkable

from ._classify import classify
from ._exceptions import CheckError
from ._settings import CheckSettings
from ._status import (
    AUTH_ERROR,
    CONNECTION_ERROR,
    DNS_ERROR,
    ERROR,
    OK,
    STATUS_CATEGORIES,
    TIMEOUT,
    TLS_ERROR,
    UNHEALTHY,
    UNKNOWN,
    status_of,
)
from ._validation import LABEL_KEY_PATTERN, check_labels

# dephealth's names for the contract's categories: the same constants, not a second copy.
STATUS_OK: Final = OK
STATUS_TIMEOUT: Final = TIMEOUT
STATUS_CONNECTION_ERROR: Final = CONNECTION_ERROR
STATUS_DNS_ERROR: Final = DNS_ERROR
STATUS_AUTH_ERROR: Final = AUTH_ERROR
STATUS_TLS_ERROR: Final = TLS_ERROR
STATUS_UNHEALTHY: Final = UNHEALTHY
STATUS_ERROR: Final = ERROR
STATUS_UNKNOWN: Final = UNKNOWN
ALL_STATUS_CATEGORIES: Final = STATUS_CATEGORIES

LABEL_NAME_PATTERN: Final = re.compile(f"^{LABEL_KEY_PATTERN.pattern}$")
#: The labels the contract requires on every series; custom labels may not take these names.
RESERVED_LABELS: Final = frozenset(
    {"name", "group", "dependency", "type", "host", "port", "critical"}
)


class DependencyType(StrEnum):
    """The ``type`` label values of the contract."""

    HTTP = "http"
    GRPC = "grpc"
    TCP = "tcp"
    POSTGRES = "postgres"
    MYSQL = "mysql"
    REDIS = "redis"
    AMQP = "amqp"
    KAFKA = "kafka"
    LDAP = "ldap"


@runtime_checkable
class HealthChecker(Protocol):
    """dephealth's checker protocol: ``check`` returns on success, raises ``CheckError``.

    ``checker_type()`` names the ``type`` label (``"tcp"``, ``"http"``...). Our own checkers
    need only ``check`` (:class:`dephealth_core.typing.Checker`).
    """

    async def check(self, endpoint: Any) -> None:
        """Check ``endpoint``."""

    def checker_type(self) -> str:
        """The dependency type this checker checks."""


@dataclass(frozen=True)
class CheckResult:
    """A classified outcome: the status ``category`` and its ``detail``."""

    category: str
    detail: str


def classify_error(err: BaseException | None) -> CheckResult:
    """Classify a check's exception as dephealth does (``None`` is a success).

    A ``CheckError`` carries its own category and detail; timeouts, resolver, socket and TLS
    errors are recognised in the exception and its cause chain; anything else is ``error``.
    """
    if err is None:
        return CheckResult("ok", "ok")
    if isinstance(err, CheckError):
        return CheckResult(err.status_category, err.status_detail)
    detail = classify(err)
    return CheckResult(status_of(detail), detail)


@dataclass(frozen=True)
class CheckConfig:
    """dephealth's timing record of a dependency, in seconds (its defaults).

    Our factories take these as ``interval=``, ``timeout=``... directly; this type is kept for
    code that builds or reads it. :meth:`validate` applies the engine's own rules.
    """

    interval: float = 15.0
    timeout: float = 5.0
    initial_delay: float = 5.0
    failure_threshold: int = 1
    success_threshold: int = 1

    def validate(self) -> None:
        """Raise ``ConfigError`` (a ``ValueError``) for a value out of the contract's ranges."""
        CheckSettings.build(
            interval=self.interval,
            timeout=self.timeout,
            initial_delay=self.initial_delay,
            failure_threshold=self.failure_threshold,
            success_threshold=self.success_threshold,
        )


def default_check_config() -> CheckConfig:
    """dephealth's defaults: 15 s interval, 5 s timeout, 5 s initial delay, thresholds 1."""
    return CheckConfig()


def validate_label_name(label: str) -> None:
    """Raise ``ConfigError`` unless ``label`` may name a custom label."""
    check_labels({label: ""})


def validate_labels(labels: Mapping[str, str]) -> None:
    """Raise ``ConfigError`` unless every key of ``labels`` may name a custom label."""
    check_labels(labels)


def bool_to_yes_no(value: bool) -> str:
    """``"yes"`` or ``"no"``: the ``critical`` label's spelling."""
    return "yes" if value else "no"
