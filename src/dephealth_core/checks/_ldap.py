"""LDAP checks with ldap3 (blocking: run in the engine's thread pool, never on the loop)."""

from __future__ import annotations

import contextlib
import math
import ssl
from typing import Any, Unpack

from .._dependency import Dependency, Endpoint, Kind, Target, option_error
from ._drivers import import_driver
from ._factories import declares
from ._ldap_errors import ldap_errors, raise_for_result
from ._ldap_options import LdapCheckOptions, LdapOptions, ldap_options

SUPPORTED_CLIENTS = "ldap3.Connection (or a zero-argument callable returning one)"


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
    raise_for_result(connection.result)


class LdapChecker:
    """Standalone mode: connects (TLS or StartTLS), runs the check method, unbinds."""

    def __init__(self, options: LdapOptions) -> None:
        self.options = options

    def _connection(self, endpoint: Endpoint) -> Any:
        import ldap3

        o = self.options
        tls = None
        if o.tls.enabled or o.start_tls:
            tls = ldap3.Tls(
                validate=ssl.CERT_NONE if o.tls.skip_verify else ssl.CERT_REQUIRED,
                ca_certs_file=o.tls.ca_file,
            )
        server = ldap3.Server(
            endpoint.host,
            port=int(endpoint.port),
            use_ssl=o.tls.enabled,
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
            # ldap3 leaves the socket of an open that failed (refused, timed out) to the
            # garbage collector: unbind() skips a connection it never marked open.
            sock = getattr(connection, "socket", None)
            if sock is not None:
                with contextlib.suppress(Exception):
                    sock.close()


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
    return LdapClientChecker(target.source, options)


LDAP_KIND = Kind(
    type="ldap",
    default_port=389,
    make_checker=_make_checker,
    validate=_validate,
    source_hosts=_source_hosts,
    is_source=_is_client,
    supported_sources=SUPPORTED_CLIENTS,
    source_field="client",
    tls_default_port=636,
    declaration=LdapCheckOptions,
)


@declares(LDAP_KIND)
def ldap_check(name: str, **options: Unpack[LdapCheckOptions]) -> Dependency:
    """Declare an LDAP dependency, checked with a bind or a search.

    Args:
        url: ``ldap://host[:389]`` or ``ldaps://host[:636]``.
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
    """
    return LDAP_KIND.declare(name, options)
