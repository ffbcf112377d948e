"""Parsing of dependency URLs: schemes, default ports, multi-host lists, IPv6, credentials.

``scheme://[user:password@]host[:port][,host[:port]...][/path][?query]``; a ``jdbc:`` prefix is
accepted. Built on :func:`urllib.parse.urlsplit`, with stricter rules than it has, because a
URL that can be read two ways must not be read at all:

- a password (or user name) holding ``@``, ``/``, ``?``, ``#``, ``[``, ``]``, a stray ``%``,
  white space or a control character must be percent-encoded. Left raw, they move the end of
  the credentials: ``postgres://app:123/abc@db:5432/app`` reads as host ``app``, port ``123``.
  Any sign of that (a second ``@``, an ``@`` after the host, such characters in the user
  information) is a :class:`ConfigError` on ``url`` that says so and quotes no part of the URL;
- every host is a DNS name, an IPv4 address or a bracketed IPv6 address (see ``_hosts``);
- every port is 1-65535 in ASCII digits.

The password is kept out of ``repr`` so a parsed URL can be logged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import parse_qs, unquote, urlsplit

from ._exceptions import ConfigError
from ._hosts import check_port, format_host, host_problem, is_ip_literal

__all__ = [
    "SCHEMES",
    "ParsedURL",
    "format_host",
    "is_ip_literal",
    "parse_dependency_url",
    "parse_url",
]

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

ENCODE_HINT: Final = (
    "percent-encode the user name and password: '@' as %40, '/' as %2F, '?' as %3F, "
    "'#' as %23, '%' as %25 (urllib.parse.quote(password, safe=''))"
)
_SCHEME_TOKEN: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,19}")
_BAD_PERCENT: Final = re.compile(r"%(?![0-9A-Fa-f]{2})")
_RAW_IN_USERINFO: Final = frozenset("[]/?#@")


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


def _error(message: str, dependency: str | None, field: str = "url") -> ConfigError:
    return ConfigError(message, dependency=dependency, field=field)


def _check_characters(text: str, dependency: str | None) -> None:
    # urlsplit silently drops tabs and newlines and strips leading blanks: a pasted password
    # with a newline would be changed, not refused.
    if any(ch.isspace() or not ch.isprintable() for ch in text):
        raise _error(
            "the URL holds white space or control characters: write them percent-encoded "
            "(a space as %20); in a password, " + ENCODE_HINT,
            dependency,
        )


def _check_userinfo(authority: str, tail: str, dependency: str | None) -> str:
    """The user information of ``authority``, once no sign of a raw delimiter is left."""
    if "@" in tail:
        raise _error(
            "the URL has an '@' after its host: a password with an unencoded '/', '?' or '#' "
            "ends the host part early (an '@' in a path or query is written %40); " + ENCODE_HINT,
            dependency,
        )
    if authority.count("@") > 1:
        raise _error("the URL has more than one '@'; " + ENCODE_HINT, dependency)
    userinfo, at, _ = authority.rpartition("@")
    if not at:
        return ""
    if any(ch in _RAW_IN_USERINFO for ch in userinfo) or _BAD_PERCENT.search(userinfo):
        raise _error("the user name or password is not URL-encoded; " + ENCODE_HINT, dependency)
    return userinfo


def _host_and_port(item: str, dependency: str | None) -> tuple[str, str | None]:
    """One ``host[:port]`` of the host list: the host (no brackets) and the port text."""
    if not item:
        raise _error("empty host in URL", dependency)
    try:
        parts = urlsplit("//" + item)
        hostname = parts.hostname
    except ValueError:  # unbalanced brackets or no IPv6 address in them; never quoted
        raise _error(
            "malformed host in URL: only an IPv6 address goes in brackets", dependency
        ) from None
    bracketed = item.startswith("[")
    if bracketed:
        close = item.find("]")
        port_text: str | None = item[close + 2 :] if item[close + 1 : close + 2] == ":" else None
        if item[close + 1 :] and port_text is None:
            raise _error("malformed host in URL", dependency)
    else:
        if item.count(":") > 1:
            raise _error("IPv6 addresses in URLs need brackets, as in [::1]:5432", dependency)
        port_text = item.partition(":")[2] if ":" in item else None
    if not hostname:
        raise _error("missing host in URL", dependency)
    if bracketed and ":" not in hostname:
        raise _error("malformed host in URL: only an IPv6 address goes in brackets", dependency)
    if "%" in hostname:
        hostname = unquote(hostname)  # an IPv6 zone: fe80::1%25eth0 is fe80::1%eth0
    problem = host_problem(hostname)
    if problem is not None:
        raise _error(f"invalid host in URL: {problem}", dependency)
    return hostname, (port_text or None)


def _url_port(text: str, *, dependency: str | None) -> str:
    try:
        return check_port(text, dependency=dependency)
    except ConfigError:
        # Never quote the text: it may be the start of a password cut short.
        raise _error(
            "invalid port in URL: expected a number from 1 to 65535", dependency, "port"
        ) from None


def _scheme_of(text: str, dependency: str | None) -> str:
    scheme, sep, _ = text.partition("://")
    if not sep or not scheme:
        raise _error("invalid URL: expected scheme://host[:port]", dependency)
    lowered = scheme.lower()
    if lowered not in SCHEMES:
        known = ", ".join(sorted(SCHEMES))
        named = f" {lowered!r}" if _SCHEME_TOKEN.fullmatch(scheme) else ""
        raise _error(f"unknown URL scheme{named}; known schemes: {known}", dependency)
    return lowered


def parse_url(url: object, *, dependency: str | None = None) -> ParsedURL:
    """Parse a dependency URL; raise :class:`ConfigError` naming ``url`` when it is bad.

    Public as :func:`dephealth_core.parse_dependency_url`, for adapters that read addresses
    from their framework's settings (a Django cache ``LOCATION``).
    """
    if not isinstance(url, str) or not url.strip():
        raise _error("missing URL", dependency)
    text = url.strip()
    if text[:5].lower() == "jdbc:":
        text = text[5:]
    _check_characters(text, dependency)
    scheme = _scheme_of(text, dependency)
    dep_type, default_port, tls = SCHEMES[scheme]
    rest = text[len(scheme) + 3 :]
    cut = min((i for i in map(rest.find, "/?#") if i != -1), default=len(rest))
    authority, tail = rest[:cut], rest[cut:]
    userinfo = _check_userinfo(authority, tail, dependency)
    hostlist = authority.rpartition("@")[2]
    username = password = None
    if userinfo:
        user_text, colon, password_text = userinfo.partition(":")
        username = unquote(user_text) or None
        password = unquote(password_text) if colon else None
    # urlsplit cannot take a multi-host netloc apart: each host goes through it on its own.
    pairs = [_host_and_port(item.strip(), dependency) for item in hostlist.split(",")]
    # The contract: a port given only on the first host applies to the others too.
    first_port = pairs[0][1]
    hosts: list[tuple[str, str]] = []
    for host, port in pairs:
        chosen = port if port is not None else first_port
        if chosen is None:
            if default_port is None:
                raise _error(f"a {scheme}:// URL needs a port", dependency, "port")
            chosen = str(default_port)
        hosts.append((host, _url_port(chosen, dependency=dependency)))
    parts = urlsplit("x://h" + tail)
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


parse_dependency_url = parse_url
