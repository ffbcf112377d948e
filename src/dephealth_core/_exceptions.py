"""The exceptions of the suite.

::

    DepHealthError
    ├── ConfigError                 bad configuration, raised at construction
    ├── StateError                  a lifecycle call out of order (a second start())
    ├── EndpointNotFoundError       update_endpoint() of an endpoint that is not checked
    └── CheckError                  a failed check, carrying its detail and status
        ├── CheckTimeout            timeout
        ├── ConnectionRefused       connection_error / connection_refused
        ├── NetworkUnreachable      connection_error / network_unreachable
        ├── HostUnreachable         connection_error / host_unreachable
        ├── DnsError                dns_error
        ├── AuthError               auth_error
        ├── TlsError                tls_error
        ├── Unhealthy               unhealthy (http_NNN, grpc_not_serving, ...)
        ├── PoolExhausted           error / pool_exhausted
        └── QueryError              error / query_error

dephealth's names are the same classes: ``CheckTimeoutError`` is ``CheckTimeout``,
``CheckConnectionRefusedError`` ``ConnectionRefused``, ``CheckDnsError`` ``DnsError``,
``CheckAuthError`` ``AuthError``, ``CheckTlsError`` ``TlsError``, ``UnhealthyError``
``Unhealthy``.

A checker raises a ``CheckError`` (usually ``raise TlsError() from exc``); anything else that
escapes a checker is classified by :func:`dephealth_core.classify` and, failing that, becomes
``error``. The message of a ``CheckError`` is meant for logs: checkers keep credentials out of
it, and the engine never copies raw driver text into a response or a metric.
"""

from __future__ import annotations

from ._status import status_of


class DepHealthError(Exception):
    """Base class of every exception the suite raises."""


class ConfigError(DepHealthError, ValueError):
    """Invalid configuration, raised when the configuration is built.

    Attributes:
        dependency: the dependency the error is about, or ``None`` for a global setting.
        field: the offending field (``"port"``, ``"critical"``, ``"timeout"``...).
    """

    def __init__(self, message: str, *, dependency: str | None = None, field: str | None = None):
        self.dependency = dependency
        self.field = field
        where = []
        if dependency is not None:
            where.append(f"dependency {dependency!r}")
        if field is not None:
            where.append(f"field {field!r}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class StateError(DepHealthError, RuntimeError):
    """A lifecycle method was called in a state that does not allow it."""


class CheckError(DepHealthError):
    """A failed check. ``detail`` is a contract detail value; ``status`` follows from it.

    dephealth's call shape works too: ``CheckError(*args, status_category=, status_detail=)``,
    read back as :attr:`status_category` and :attr:`status_detail`.
    """

    detail: str = "error"

    def __init__(
        self,
        *args: object,
        detail: str | None = None,
        status_category: str | None = None,
        status_detail: str | None = None,
    ) -> None:
        chosen = status_detail if status_detail is not None else detail
        if chosen is not None:
            self.detail = chosen
        self._category = status_category
        super().__init__(*(args if args and args != ("",) else (self.detail,)))

    @property
    def status(self) -> str:
        """The status category: the one given, else the category of :attr:`detail`."""
        return self._category if self._category is not None else status_of(self.detail)

    @property
    def status_category(self) -> str:
        """dephealth's name for :attr:`status`."""
        return self.status

    @property
    def status_detail(self) -> str:
        """dephealth's name for :attr:`detail`."""
        return self.detail


class CheckTimeout(CheckError):
    """The check did not finish within its timeout."""

    detail = "timeout"


class ConnectionRefused(CheckError):
    """The endpoint refused the connection."""

    detail = "connection_refused"


class NetworkUnreachable(CheckError):
    """No route to the endpoint's network."""

    detail = "network_unreachable"


class HostUnreachable(CheckError):
    """The endpoint's host is unreachable."""

    detail = "host_unreachable"


class DnsError(CheckError):
    """The endpoint's host name does not resolve."""

    detail = "dns_error"


class AuthError(CheckError):
    """The dependency rejected the credentials."""

    detail = "auth_error"


class TlsError(CheckError):
    """The TLS handshake failed (bad certificate, no TLS on the other side...)."""

    detail = "tls_error"


class Unhealthy(CheckError):
    """The dependency answered but reported itself unhealthy."""

    detail = "unhealthy"


class PoolExhausted(CheckError):
    """No connection could be borrowed from the application's pool within the timeout."""

    detail = "pool_exhausted"


class QueryError(CheckError):
    """The check query failed on a live connection."""

    detail = "query_error"


class EndpointNotFoundError(DepHealthError, LookupError):
    """``update_endpoint`` named an endpoint the instance does not check."""

    def __init__(self, dep_name: str, host: str, port: str) -> None:
        self.dep_name = dep_name
        self.host = host
        self.port = port
        super().__init__(f"Endpoint not found: {dep_name}:{host}:{port}")


# dephealth's names for the same classes.
CheckTimeoutError = CheckTimeout
CheckConnectionRefusedError = ConnectionRefused
CheckDnsError = DnsError
CheckAuthError = AuthError
CheckTlsError = TlsError
UnhealthyError = Unhealthy
