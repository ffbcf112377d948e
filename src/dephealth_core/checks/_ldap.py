"""LDAP checks with ldap3 (blocking: run in the engine's thread pool, never on the loop)."""

from __future__ import annotations

import contextlib
import math
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Unpack

from .._dependency import CommonOptions, Dependency, Endpoint, Kind, Target, option_error
from .._exceptions import (
    AuthError,
    CheckError,
    CheckTimeout,
    ConnectionRefused,
    DnsError,
    TlsError,
    Unhealthy,
)
from .._validation import check_bool
from ._auth import tls_flags
from ._drivers import check_timeout, import_driver, platform_error, unsupported_source

METHODS = ("anonymous_bind", "simple_bind", "root_dse", "search")
SCOPES = ("base", "one", "sub")
LDAP_OPTIONS = frozenset(
    {
        "check_method",
        "bind_dn",
        "bind_password",
        "base_dn",
        "search_filter",
        "search_scope",
        "start_tls",
        "tls_skip_verify",
        "tls_ca_file",
    }
)
SUPPORTED_CLIENTS = "ldap3.Connection (or a zero-argument callable returning one)"
#: Result codes that mean the server works but will not serve now: ``unhealthy``.
_UNAVAILABLE_RESULTS = frozenset({51, 52, 53, 80})
#: invalidCredentials, insufficientAccessRights, inappropriateAuthentication.
_AUTH_RESULTS = frozenset({48, 49, 50})


@dataclass(frozen=True, slots=True)
class LdapOptions:
    """The validated options of one LDAP dependency."""

    method: str
    scope: str
    search_filter: str
    base_dn: str
    start_tls: bool
    tls: bool
    skip_verify: bool
    ca_file: str | None
    timeout: float
    bind_dn: str | None = None
    bind_password: str | None = field(default=None, repr=False)


def _choice(dependency: Dependency, name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = dependency.options.get(name, default)
    if not isinstance(value, str) or value.strip().lower() not in allowed:
        raise option_error(dependency, name, f"expected one of {', '.join(allowed)}")
    return value.strip().lower()


def _text(dependency: Dependency, name: str) -> str | None:
    value = dependency.options.get(name)
    if value is not None and not isinstance(value, str):
        raise option_error(dependency, name, "expected a string")
    return value or None


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
    url_tls = target.tls if target is not None else str(dependency.url or "").startswith("ldaps:")
    tls, skip, ca_file = tls_flags(dependency, url_tls)
    if start_tls and tls:
        raise option_error(dependency, "start_tls", "StartTLS cannot be used with ldaps://")
    return LdapOptions(
        method=method,
        scope=scope,
        search_filter=search_filter,
        base_dn=base_dn or "",
        start_tls=start_tls,
        tls=tls,
        skip_verify=skip,
        ca_file=ca_file,
        timeout=check_timeout(dependency),
        bind_dn=bind_dn,
        bind_password=bind_password,
    )


@contextlib.contextmanager
def ldap_errors(*, start_tls: bool = False) -> Iterator[None]:
    """Turn ldap3 errors into classified ones: the only place that knows them.

    With ``start_tls``, a refused StartTLS operation (a server without TLS) is a TLS error.
    """
    from ldap3.core import exceptions as lx

    try:
        yield
    except CheckError:
        raise
    except lx.LDAPOperationResult as exc:
        if start_tls:
            raise TlsError("the LDAP server refused StartTLS") from exc
        code = getattr(exc, "result", None)
        if code in _AUTH_RESULTS:
            raise AuthError("the LDAP server rejected the bind") from exc
        if code in _UNAVAILABLE_RESULTS:
            raise Unhealthy("the LDAP server is busy or unavailable") from exc
        raise CheckError(f"the LDAP operation failed with result {code}") from exc
    except (lx.LDAPStartTLSError, lx.LDAPSSLConfigurationError, ssl.SSLError) as exc:
        raise TlsError("TLS with the LDAP server failed") from exc
    except lx.LDAPCommunicationError as exc:
        raise _communication_error(exc) from exc
    except lx.LDAPResponseTimeoutError as exc:
        raise CheckTimeout("the LDAP server did not answer in time") from exc


def _communication_error(exc: BaseException) -> CheckError:
    # ldap3 re-raises socket errors as classes deriving from both its own error and the
    # socket error's type, but without the errno, and keeps no cause chain.
    text = str(exc).lower()
    if isinstance(exc, TimeoutError) or "timed out" in text:
        return CheckTimeout("the LDAP server did not answer in time")
    if isinstance(exc, ConnectionRefusedError) or "refused" in text:
        return ConnectionRefused("the LDAP server refused the connection")
    if "invalid server address" in text:
        return DnsError("cannot resolve the LDAP server's name")
    if "ssl" in text or "tls" in text or "certificate" in text or "handshake" in text:
        return TlsError("TLS with the LDAP server failed")
    return platform_error(exc, "cannot talk to the LDAP server", default="connection_refused")


def run_method(connection: Any, options: LdapOptions) -> None:
    """Run the check method on an open connection; raises ldap3 errors.

    A bind uses the credentials the connection was built with. A search that finds
    nothing still succeeds: the server answered.
    """
    import ldap3

    if options.method in ("anonymous_bind", "simple_bind"):
        connection.bind()
    elif options.method == "root_dse":
        connection.search("", "(objectClass=*)", search_scope=ldap3.BASE, attributes=["1.1"])
    else:
        scope = {"base": ldap3.BASE, "one": ldap3.LEVEL, "sub": ldap3.SUBTREE}[options.scope]
        connection.search(
            options.base_dn,
            options.search_filter,
            search_scope=scope,
            attributes=["1.1"],
            size_limit=1,
        )
    _raise_for_result(connection.result)


def _raise_for_result(result: Any) -> None:
    # Connections built with raise_exceptions=False (an app's, often) report failures in
    # ``result`` only; 0 success, 3 time limit, 4 size limit: the server answered.
    from ldap3.core.exceptions import LDAPOperationResult

    code = result.get("result") if isinstance(result, dict) else None
    if code is None or code in (0, 3, 4):
        return
    error = LDAPOperationResult(result=code, description=result.get("description"))
    with ldap_errors():
        raise error


class LdapChecker:
    """Standalone mode: connects (TLS or StartTLS), runs the check method, unbinds."""

    def __init__(self, options: LdapOptions) -> None:
        self.options = options

    def _connection(self, endpoint: Endpoint) -> Any:
        import ldap3

        o = self.options
        tls = None
        if o.tls or o.start_tls:
            tls = ldap3.Tls(
                validate=ssl.CERT_NONE if o.skip_verify else ssl.CERT_REQUIRED,
                ca_certs_file=o.ca_file,
            )
        server = ldap3.Server(
            endpoint.host,
            port=int(endpoint.port),
            use_ssl=o.tls,
            tls=tls,
            get_info=ldap3.NONE,
            connect_timeout=o.timeout,
        )
        simple = o.method == "simple_bind"
        # ldap3 packs the receive timeout into a C long: whole seconds only.
        return ldap3.Connection(
            server,
            user=o.bind_dn if simple else None,
            password=o.bind_password if simple else None,
            authentication=ldap3.SIMPLE if simple else ldap3.ANONYMOUS,
            auto_bind=ldap3.AUTO_BIND_NONE,
            receive_timeout=max(1, math.ceil(o.timeout)),
            raise_exceptions=True,
            auto_referrals=False,
            read_only=True,
        )

    def check(self, endpoint: Endpoint) -> None:
        """Check ``endpoint`` on a connection of its own (blocking)."""
        connection = self._connection(endpoint)
        try:
            with ldap_errors():
                connection.open()
            if self.options.start_tls:
                with ldap_errors(start_tls=True):
                    connection.start_tls()
            with ldap_errors():
                run_method(connection, self.options)
        finally:
            with contextlib.suppress(Exception):
                connection.unbind()


class LdapClientChecker:
    """Pool mode: runs the check method on the app's ``ldap3.Connection`` under its lock.

    The connection's own re-entrant lock keeps the app's operations from interleaving
    with the check's.
    """

    def __init__(self, connection: Any, options: LdapOptions) -> None:
        self.connection = connection
        self.options = options

    def check(self, endpoint: Endpoint) -> None:
        """Run the check method on the app's connection (blocking)."""
        with self.connection.connection_lock, ldap_errors():
            run_method(self.connection, self.options)


def _is_client(source: Any) -> bool:
    try:
        import ldap3
    except ImportError:
        return False
    return isinstance(source, ldap3.Connection)


def _source_hosts(dependency: Dependency, source: Any) -> list[tuple[str, str]]:
    if not _is_client(source):
        raise unsupported_source(dependency, source, "client", SUPPORTED_CLIENTS)
    server = source.server
    return [(str(server.host), str(server.port))]


def _validate(dependency: Dependency) -> None:
    options = ldap_options(dependency)
    if dependency.source is not None and options.method in ("anonymous_bind", "simple_bind"):
        raise option_error(
            dependency,
            "check_method",
            "a bind would change the identity of the app's connection; use root_dse or "
            "search with client=, or a bind method without it",
        )


def _make_checker(dependency: Dependency, target: Target) -> Any:
    import_driver("ldap3", extra="ldap", kind="LDAP")
    options = ldap_options(dependency, target)
    if target.source is None:
        return LdapChecker(options)
    if not _is_client(target.source):
        raise unsupported_source(dependency, target.source, "client", SUPPORTED_CLIENTS)
    return LdapClientChecker(target.source, options)


LDAP_KIND = Kind(
    type="ldap",
    default_port=389,
    make_checker=_make_checker,
    validate=_validate,
    source_hosts=_source_hosts,
    is_source=_is_client,
    tls_default_port=636,
    options=LDAP_OPTIONS,
)


def ldap_check(
    name: str,
    *,
    critical: bool | None = None,
    url: str | None = None,
    host: str | None = None,
    port: int | str | None = None,
    check_method: str | None = None,
    bind_dn: str | None = None,
    bind_password: str | None = None,
    base_dn: str | None = None,
    search_filter: str | None = None,
    search_scope: str | None = None,
    start_tls: bool | None = None,
    tls_skip_verify: bool | None = None,
    tls_ca_file: str | None = None,
    client: Any = None,
    **common: Unpack[CommonOptions],
) -> Dependency:
    """Declare an LDAP dependency, checked with a bind or a search.

    Args:
        name: the dependency name.
        critical: whether the service cannot work without it (required).
        url: ``ldap://host[:389]`` or ``ldaps://host[:636]``.
        host: the host, instead of ``url``; ``port`` defaults to 389.
        check_method: ``anonymous_bind``, ``simple_bind``, ``root_dse`` (default) or
            ``search``, in any case.
        bind_dn: the DN of ``simple_bind`` (required with it).
        bind_password: the password of ``simple_bind`` (required with it).
        base_dn: the base of ``search`` (required with it).
        search_filter: the filter of ``search`` (default ``(objectClass=*)``).
        search_scope: ``base`` (default), ``one`` or ``sub``, in any case.
        start_tls: upgrade an ``ldap://`` connection with StartTLS.
        tls_skip_verify: do not verify the server certificate.
        tls_ca_file: a CA bundle to verify the server certificate with.
        client: the app's ``ldap3.Connection`` (pool mode: ``root_dse`` or ``search`` run
            on it under its lock), or a zero-argument callable returning one.
        **common: ``interval``, ``timeout``, ``initial_delay``, thresholds, ``labels``.
    """
    options = {
        key: value
        for key, value in {
            "check_method": check_method,
            "bind_dn": bind_dn,
            "bind_password": bind_password,
            "base_dn": base_dn,
            "search_filter": search_filter,
            "search_scope": search_scope,
            "start_tls": start_tls,
            "tls_skip_verify": tls_skip_verify,
            "tls_ca_file": tls_ca_file,
        }.items()
        if value is not None
    }
    return Dependency(
        name,
        LDAP_KIND,
        critical=critical,
        url=url,
        host=host,
        port=port,
        options=options,
        source=client,
        **common,
    )
