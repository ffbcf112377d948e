"""dephealth's address helpers: ``parse_url``, ``parse_jdbc``, ``parse_params``.

They return dephealth's shapes (a list of :class:`ParsedConnection`, an :class:`Endpoint`) and
parse with the engine's own URL parser, so both read an address the same way. Errors are
``ConfigError``, a ``ValueError`` as in dephealth.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import _urls
from ._dependency import Endpoint
from ._dephealth_types import DependencyType
from ._exceptions import ConfigError
from ._hosts import check_port

_JDBC_TYPES = {"postgresql": DependencyType.POSTGRES, "mysql": DependencyType.MYSQL}


@dataclass(frozen=True)
class ParsedConnection:
    """One address of a parsed URL: host, port (a string) and dependency type."""

    host: str
    port: str
    conn_type: DependencyType


def parse_url(raw_url: str) -> list[ParsedConnection]:
    """The ``(host, port, type)`` of each host of a dependency URL (multi-host for Kafka).

    Default ports follow the scheme (``postgres`` 5432, ``amqps`` 5671...).
    """
    if not isinstance(raw_url, str) or not raw_url:
        raise ConfigError("empty URL", field="url")
    parsed = _urls.parse_url(raw_url)
    kind = DependencyType(parsed.type)
    return [ParsedConnection(host, port, kind) for host, port in parsed.hosts]


def parse_jdbc(jdbc_url: str) -> list[ParsedConnection]:
    """``jdbc:postgresql://host[:port]/db`` or ``jdbc:mysql://...``."""
    if not isinstance(jdbc_url, str) or not jdbc_url.startswith("jdbc:"):
        raise ConfigError(f"invalid JDBC URL {jdbc_url!r}: must start with 'jdbc:'", field="url")
    subprotocol = jdbc_url[5:].split(":", 1)[0].lower()
    if subprotocol not in _JDBC_TYPES:
        raise ConfigError(f"unsupported JDBC subprotocol {subprotocol!r}", field="url")
    return parse_url(jdbc_url)


def parse_params(host: str, port: str) -> Endpoint:
    """An :class:`Endpoint` from a host and a port, both required."""
    if not isinstance(host, str) or not host.strip():
        raise ConfigError("host must not be empty", field="host")
    if port in (None, ""):
        raise ConfigError("port must not be empty", field="port")
    return Endpoint(host.strip(), check_port(port))
