"""Parsing of dependency URLs: schemes, default ports, multi-host lists, IPv6, credentials.

``scheme://[user:password@]host[:port][,host[:port]...][/path][?query]``; a ``jdbc:`` prefix is
accepted. The password is kept out of ``repr`` so a parsed URL can be logged.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import parse_qs, unquote, urlsplit

from ._exceptions import ConfigError
from ._validation import check_port

#: scheme -> (dependency type, default port or None, TLS)
SCHEMES: Final[dict[str, tuple[str, int | None, bool]]] = {
    "postgres": ("postgres", 5432, False),
    "postgresql": ("postgres", 5432, False),
    "mysql": ("mysql", 3306, False),
    "mariadb": ("mysql", 3306, False),
    "redis": ("redis", 6379, False),
    "rediss": ("redis", 6379, True),
    "amqp": ("amqp", 5672, False),
    "amqps": ("amqp", 5671, True),
    "http": ("http", 80, False),
    "https": ("http", 443, True),
    "grpc": ("grpc", 443, False),
    "grpcs": ("grpc", 443, True),
    "kafka": ("kafka", 9092, False),
    "ldap": ("ldap", 389, False),
    "ldaps": ("ldap", 636, True),
    "tcp": ("tcp", None, False),
}


@dataclass(frozen=True, slots=True)
class ParsedURL:
    """A dependency URL taken apart. ``hosts`` holds one ``(host, port)`` pair per endpoint."""

    scheme: str
    type: str
    hosts: tuple[tuple[str, str], ...]
    tls: bool
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    path: str = ""
    query: dict[str, str] = field(default_factory=dict, repr=False)

    def redacted(self) -> str:
        """The URL with its credentials removed, safe for logs and responses."""
        hosts = ",".join(f"{format_host(h)}:{p}" for h, p in self.hosts)
        return f"{self.scheme}://{hosts}{self.path}"


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


def _split_hosts(netloc: str, *, dependency: str | None) -> list[tuple[str, str | None]]:
    pairs: list[tuple[str, str | None]] = []
    for item in netloc.split(","):
        item = item.strip()
        if not item:
            raise ConfigError("empty host in URL", dependency=dependency, field="url")
        if item.startswith("["):
            end = item.find("]")
            if end == -1:
                raise ConfigError(
                    "unterminated IPv6 address in URL", dependency=dependency, field="url"
                )
            host, rest = item[1:end], item[end + 1 :]
            if rest and not rest.startswith(":"):
                raise ConfigError("malformed host in URL", dependency=dependency, field="url")
            port = rest[1:] if rest else None
        elif item.count(":") > 1:
            raise ConfigError(
                "IPv6 addresses in URLs need brackets, as in [::1]:5432",
                dependency=dependency,
                field="url",
            )
        else:
            host, _, port_text = item.partition(":")
            port = port_text if port_text else None
        if not host:
            raise ConfigError("missing host in URL", dependency=dependency, field="url")
        pairs.append((host, port))
    return pairs


def _url_port(text: str, *, dependency: str | None) -> str:
    try:
        return check_port(text, dependency=dependency)
    except ConfigError:
        # Never quote the text: a password with an unencoded '/', '?' or '#' ends the
        # authority early, and what stands before that character lands here as the port.
        raise ConfigError(
            "invalid port in URL: expected a number from 1 to 65535 (characters such as "
            "'/', '?', '#' and '@' in a password must be percent-encoded)",
            dependency=dependency,
            field="port",
        ) from None


def parse_url(url: object, *, dependency: str | None = None) -> ParsedURL:
    """Parse a dependency URL; raise :class:`ConfigError` naming ``url`` when it is bad."""
    if not isinstance(url, str) or not url.strip():
        raise ConfigError("missing URL", dependency=dependency, field="url")
    text = url.strip()
    if text.lower().startswith("jdbc:"):
        text = text[5:]
    scheme, sep, _ = text.partition("://")
    if not sep:
        raise ConfigError(
            "invalid URL: expected scheme://host[:port]", dependency=dependency, field="url"
        )
    scheme = scheme.lower()
    if scheme not in SCHEMES:
        known = ", ".join(sorted(SCHEMES))
        raise ConfigError(
            f"unknown URL scheme {scheme!r}; known schemes: {known}",
            dependency=dependency,
            field="url",
        )
    dep_type, default_port, tls = SCHEMES[scheme]
    # urlsplit cannot take a multi-host netloc apart, so split the authority by hand.
    rest = text[len(scheme) + 3 :]
    cut = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i != -1), default=-1)
    authority, tail = (rest, "") if cut == -1 else (rest[:cut], rest[cut:])
    userinfo, at, hostlist = authority.rpartition("@")
    if not at:
        userinfo, hostlist = "", authority
    username = password = None
    if userinfo:
        user_text, colon, password_text = userinfo.partition(":")
        username = unquote(user_text) or None
        password = unquote(password_text) if colon else None
    parts = urlsplit("x://h" + tail)
    hosts: list[tuple[str, str]] = []
    raw = _split_hosts(hostlist, dependency=dependency)
    # The contract: a port given only on the first host applies to the others too.
    first_port = raw[0][1]
    for host, port in raw:
        chosen = port if port is not None else first_port
        if chosen is None:
            if default_port is None:
                raise ConfigError(
                    f"a {scheme}:// URL needs a port", dependency=dependency, field="port"
                )
            chosen = str(default_port)
        hosts.append((host, _url_port(chosen, dependency=dependency)))
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    return ParsedURL(
        scheme=scheme,
        type=dep_type,
        hosts=tuple(hosts),
        tls=tls,
        username=username,
        password=password,
        path=parts.path,
        query=query,
    )
