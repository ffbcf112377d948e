"""The options of LDAP checks: validated when the dependency is declared."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from .._dependency import Dependency, EndpointOptions, Target, option_error
from .._validation import check_bool
from ._auth import TlsSettings, TlsVerifyOptions, tls_settings
from ._declaration import Expects
from ._drivers import check_timeout

METHODS = ("anonymous_bind", "simple_bind", "root_dse", "search")
SCOPES = ("base", "one", "sub")


class LdapCheckOptions(EndpointOptions, TlsVerifyOptions, total=False):
    """The keywords of :func:`ldap_check`."""

    check_method: str | None
    bind_dn: Annotated[str | None, Expects("a string")]
    bind_password: Annotated[str | None, Expects("a string")]
    base_dn: Annotated[str | None, Expects("a string")]
    search_filter: Annotated[str | None, Expects("a string")]
    search_scope: str | None
    start_tls: bool | None
    client: Any


@dataclass(frozen=True, slots=True)
class LdapOptions:
    """The validated options of one LDAP dependency."""

    method: str
    scope: str
    search_filter: str
    base_dn: str
    start_tls: bool
    tls: TlsSettings
    timeout: float
    bind_dn: str | None = None
    bind_password: str | None = field(default=None, repr=False)


def _choice(dependency: Dependency, name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = dependency.options.get(name, default)
    if not isinstance(value, str) or value.strip().lower() not in allowed:
        raise option_error(dependency, name, f"expected one of {', '.join(allowed)}")
    return value.strip().lower()


def _text(dependency: Dependency, name: str) -> str | None:
    # The declared type is checked by then; an empty string counts as not given.
    return dependency.options.get(name) or None


def ldap_options(dependency: Dependency, target: Target | None = None) -> LdapOptions:
    """Validate an LDAP dependency's options (the contract's rules included)."""
    method = _choice(dependency, "check_method", "root_dse", METHODS)
    scope = _choice(dependency, "search_scope", "base", SCOPES)
    bind_dn, bind_password = _text(dependency, "bind_dn"), _text(dependency, "bind_password")
    base_dn = _text(dependency, "base_dn")
    search_filter = _text(dependency, "search_filter") or "(objectClass=*)"
    if method == "simple_bind" and (bind_dn is None or bind_password is None):
        missing = "bind_dn" if bind_dn is None else "bind_password"
        raise option_error(dependency, missing, "simple_bind needs bind_dn and bind_password")
    if method == "search" and base_dn is None:
        raise option_error(dependency, "base_dn", "the search check method needs base_dn")
    start_tls = check_bool(
        dependency.options.get("start_tls", False), field="start_tls", dependency=dependency.name
    )
    tls = tls_settings(dependency, target, "ldaps")
    if start_tls and tls.enabled:
        raise option_error(dependency, "start_tls", "StartTLS cannot be used with ldaps://")
    return LdapOptions(
        method=method,
        scope=scope,
        search_filter=search_filter,
        base_dn=base_dn or "",
        start_tls=start_tls,
        tls=tls,
        timeout=check_timeout(dependency),
        bind_dn=bind_dn,
        bind_password=bind_password,
    )
