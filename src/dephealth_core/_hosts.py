"""Hosts and ports of an endpoint, validated the same way whatever the source.

A host is a DNS name (RFC 1123: dot-separated labels of ASCII letters, digits and ``-``, each
1-63 characters, not starting or ending with ``-``, 253 characters in all; ``_`` is allowed
inside a label too, because Docker Compose and Kubernetes-era service names such as
``db_main`` carry it and resolvers answer for them), an IPv4 address or
an IPv6 address (bare, or in brackets as in URLs). Anything else (a URL, ``host:port``,
credentials, a path, white space) is a :class:`ConfigError`. Messages never quote a rejected
host or port: a value in the wrong place may hold a password (``user:secret@db``).

A port is an integer or a string of ASCII digits from 1 to 65535.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Final

from ._exceptions import ConfigError

_LABEL: Final = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")
_DIGITS: Final = re.compile(r"[0-9]+")
_IPV4_LIKE: Final = re.compile(r"[0-9.]+")
MAX_NAME_LENGTH: Final = 253


def format_host(host: str) -> str:
    """Bracket an IPv6 literal for use in a URL or ``host:port`` string."""
    return f"[{host}]" if ":" in host else host


def is_ip_literal(host: str) -> bool:
    """Tell whether ``host`` is an IPv4 or IPv6 address rather than a name."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def host_problem(host: str) -> str | None:
    """Why ``host`` (already stripped of IPv6 brackets) is not a valid host, or ``None``."""
    if not host:
        return "empty host"
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return "not a valid IPv6 address (a host takes no port, user or password)"
        return None
    if _IPV4_LIKE.fullmatch(host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return "not a valid IPv4 address"
        return None
    name = host[:-1] if host.endswith(".") else host
    if not name.isascii():
        return "not a valid host name: write an international name in its ASCII (xn--) form"
    if len(name) > MAX_NAME_LENGTH:
        return f"not a valid host name: longer than {MAX_NAME_LENGTH} characters"
    if not all(_LABEL.fullmatch(label) for label in name.split(".")):
        return (
            "not a valid host name: use letters, digits, '-', '_' and '.', an IPv4 "
            "or an IPv6 address; a URL, a port, a user or a password does not belong here"
        )
    return None


def check_host(value: object, *, dependency: str | None = None, field: str = "host") -> str:
    """Validate a host given on its own; return it without IPv6 brackets.

    Raises:
        ConfigError: naming ``field``; the value is quoted only when it cannot hold a secret.
    """
    if not isinstance(value, str):
        raise ConfigError(
            f"expected a host name or an IP address, got {type(value).__name__}",
            dependency=dependency,
            field=field,
        )
    host = value.strip()
    if host.startswith("[") and host.endswith("]") and ":" in host:
        host = host[1:-1]
    problem = host_problem(host)
    if problem is not None:
        text = problem if not host else f"invalid host: {problem}"
        raise ConfigError(text, dependency=dependency, field=field)
    return host


def check_port(value: object, *, dependency: str | None = None, field: str = "port") -> str:
    """Validate a port (1-65535, an integer or a string of ASCII digits); return it as text."""
    if isinstance(value, bool):
        raise ConfigError(f"invalid port {value!r}", dependency=dependency, field=field)
    if isinstance(value, str):
        text = value.strip()
        if _DIGITS.fullmatch(text) is None:
            raise ConfigError(
                "invalid port: expected a number from 1 to 65535 in ASCII digits",
                dependency=dependency,
                field=field,
            )
        number = int(text)
    elif isinstance(value, int):
        number = value
    else:
        raise ConfigError(
            f"invalid port of type {type(value).__name__}", dependency=dependency, field=field
        )
    if not 1 <= number <= 65535:
        raise ConfigError(
            f"invalid port {number}: expected 1 to 65535", dependency=dependency, field=field
        )
    return str(number)
