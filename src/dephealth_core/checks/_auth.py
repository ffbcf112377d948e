"""Authentication and TLS options shared by several checkers: their declarations and checks."""

from __future__ import annotations

import base64
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypedDict

from .._dependency import Dependency, Target, option_error
from .._validation import check_bool
from ._declaration import Expects


class TlsVerifyOptions(TypedDict, total=False):
    """How a TLS server certificate is verified."""

    tls_skip_verify: bool | None
    tls_ca_file: Annotated[str | None, Expects("a file path")]


class TlsOptions(TlsVerifyOptions, total=False):
    """TLS on a connection whose URL scheme may not say it."""

    tls: bool | None


class AuthHeaderOptions(TypedDict, total=False):
    """Credentials sent in an ``authorization`` header (HTTP and gRPC)."""

    bearer_token: Annotated[str | None, Expects("a string")]
    basic_auth: tuple[str, str] | str | None


def string_map(dependency: Dependency, field: str) -> dict[str, str]:
    """A ``{str: str}`` option (headers, metadata), validated."""
    value = dependency.options.get(field)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise option_error(dependency, field, "expected a mapping of names to values")
    result: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key or not isinstance(item, str):
            raise option_error(dependency, field, f"entry {key!r} needs a string name and value")
        result[key] = item
    return result


def basic_auth(dependency: Dependency) -> tuple[str, str] | None:
    """``basic_auth`` as ``(username, password)``: a pair, a mapping or ``"user:password"``."""
    value = dependency.options.get("basic_auth")
    if value is None:
        return None
    if isinstance(value, str) and ":" in value:
        user, _, password = value.partition(":")
        return user, password
    if isinstance(value, Mapping) and "username" in value:
        pair: Any = (value.get("username"), value.get("password", ""))
    elif isinstance(value, tuple | list) and len(value) == 2:
        pair = tuple(value)
    else:
        raise option_error(
            dependency, "basic_auth", "expected (username, password) or 'username:password'"
        )
    if not all(isinstance(part, str) for part in pair):
        raise option_error(dependency, "basic_auth", "username and password must be strings")
    return pair[0], pair[1]


def authorization(dependency: Dependency, existing: Mapping[str, str]) -> str | None:
    """The ``Authorization`` value from ``bearer_token`` or ``basic_auth``.

    Only one way to authenticate is allowed (the dephealth contract): a bearer token, basic
    credentials, or an ``Authorization`` header/metadata entry.
    """
    token = dependency.options.get("bearer_token")
    credentials = basic_auth(dependency)
    has_header = any(key.lower() == "authorization" for key in existing)
    if token is not None and credentials is not None:
        raise option_error(
            dependency, "bearer_token", "give either bearer_token or basic_auth, not both"
        )
    if token is not None and has_header:
        raise option_error(
            dependency, "bearer_token", "conflicts with an explicit Authorization entry"
        )
    if credentials is not None and has_header:
        raise option_error(
            dependency, "basic_auth", "conflicts with an explicit Authorization entry"
        )
    if token is not None:
        return f"Bearer {token}"
    if credentials is not None:
        return basic_header(*credentials)
    return None


def basic_header(username: str, password: str) -> str:
    """The ``Authorization`` value of HTTP basic authentication."""
    raw = f"{username}:{password}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


@dataclass(frozen=True, slots=True)
class TlsSettings:
    """Whether a standalone check speaks TLS, and how it verifies the server."""

    enabled: bool
    skip_verify: bool
    ca_file: str | None

    def context(self) -> ssl.SSLContext:
        """A client TLS context that verifies (with ``ca_file`` if given) unless told not to."""
        context = ssl.create_default_context(cafile=self.ca_file)
        if self.skip_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context


def tls_settings(dependency: Dependency, target: Target | None, scheme: str) -> TlsSettings:
    """The TLS settings from the URL scheme and the ``tls*`` options.

    ``scheme`` is the kind's TLS scheme (``"rediss"``): a URL with it asks for TLS. Before
    the address is resolved (``target`` is ``None``) it is read from the dependency's URL.
    """
    if target is not None:
        scheme_tls = target.tls
    else:
        scheme_tls = str(dependency.url or "").strip().lower().startswith(f"{scheme}:")
    tls_option = dependency.options.get("tls")
    enabled = (
        scheme_tls
        if tls_option is None
        else check_bool(tls_option, field="tls", dependency=dependency.name)
    )
    skip = check_bool(
        dependency.options.get("tls_skip_verify", False),
        field="tls_skip_verify",
        dependency=dependency.name,
    )
    # tls_ca_file's type is declared, and checked by then. Loading it here makes a missing
    # or invalid file a ConfigError at construction, not a tls_error at the first check.
    ca_file = dependency.options.get("tls_ca_file")
    if ca_file is not None:
        ca_context(dependency, "tls_ca_file", ca_file)
    return TlsSettings(enabled, skip, ca_file)


def ca_context(dependency: Dependency, field: str, ca_file: str | None) -> ssl.SSLContext:
    """A verifying client TLS context; a CA file that cannot be loaded is a ``ConfigError``."""
    try:
        return ssl.create_default_context(cafile=ca_file)
    except OSError as exc:  # ssl.SSLError included: a file that holds no certificate
        reason = exc.strerror or type(exc).__name__
        raise option_error(dependency, field, f"cannot load {ca_file!r}: {reason}") from None
