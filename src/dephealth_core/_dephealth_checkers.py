"""dephealth's checker classes (``HTTPChecker``, ``GRPCChecker``...), built on our kinds.

dephealth's users pass these to ``add_endpoint``: a checker that knows its options but not
its address, which comes with each endpoint. Each class keeps dephealth's constructor and
builds, per address it is asked about, the checker our factory of the same kind would build.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from ._dependency import Dependency, Endpoint
from .checks._amqp import amqp_check
from .checks._grpc import grpc_check
from .checks._http import http_check
from .checks._kafka import kafka_check
from .checks._ldap import ldap_check
from .checks._mysql import mysql_check
from .checks._postgres import postgres_check
from .checks._redis import redis_check
from .checks._tcp import tcp_check


class LdapCheckMethod(StrEnum):
    """dephealth's LDAP check methods (ours take the same words as strings)."""

    ANONYMOUS_BIND = "anonymous_bind"
    SIMPLE_BIND = "simple_bind"
    ROOT_DSE = "root_dse"
    SEARCH = "search"


class LdapSearchScope(StrEnum):
    """dephealth's LDAP search scopes."""

    BASE = "base"
    ONE = "one"
    SUB = "sub"


class _KindChecker:
    """A checker of one kind with fixed options, for any endpoint it is given."""

    _type = "tcp"

    def __init__(
        self,
        factory: Callable[..., Dependency],
        timeout: float,
        url: str | None = None,
        **options: Any,
    ):
        # A URL (dephealth's url= or dsn=) may carry credentials and a database: when
        # given, every endpoint is checked with it.
        self._url = url or None
        self._factory = factory
        self._options = {key: value for key, value in options.items() if value is not None}
        self._options["timeout"] = timeout
        factory("checker", host="localhost", port=1, critical=False, **self._options).validate()
        self._built: dict[tuple[str, str], Any] = {}

    def _address(self, endpoint: Endpoint) -> dict[str, Any]:
        if self._url is not None:
            return {"url": self._url}
        return {"host": endpoint.host, "port": endpoint.port}

    def _checker_for(self, endpoint: Endpoint) -> Any:
        key = (endpoint.host, str(endpoint.port))
        checker = self._built.get(key)
        if checker is None:
            address = self._address(endpoint)
            dependency = self._factory("checker", critical=False, **address, **self._options)
            dependency.validate()
            checker = dependency.kind.make_checker(dependency, dependency.resolve_target())
            self._built[key] = checker
        return checker

    async def check(self, endpoint: Endpoint) -> None:
        """Check ``endpoint`` (``host``, ``port``) with this checker's options."""
        checker = self._checker_for(endpoint)
        if inspect.iscoroutinefunction(checker.check):
            await checker.check(endpoint)
        else:
            await asyncio.to_thread(checker.check, endpoint)

    def checker_type(self) -> str:
        """The dependency type this checker checks."""
        return self._type


class HTTPChecker(_KindChecker):
    """dephealth's HTTP checker: ``GET health_path``, healthy on 2xx."""

    _type = "http"

    def __init__(
        self,
        health_path: str = "/health",
        timeout: float = 5.0,
        tls: bool = False,
        tls_skip_verify: bool = False,
        headers: dict[str, str] | None = None,
        bearer_token: str | None = None,
        basic_auth: tuple[str, str] | None = None,
        host_header: str | None = None,
    ) -> None:
        super().__init__(
            http_check, timeout, health_path=health_path, tls=tls or None,
            tls_skip_verify=tls_skip_verify or None, headers=headers, bearer_token=bearer_token,
            basic_auth=basic_auth, host_header=host_header,
        )  # fmt: skip


class GRPCChecker(_KindChecker):
    """dephealth's gRPC checker: ``grpc.health.v1.Health/Check``."""

    _type = "grpc"

    def __init__(
        self,
        service_name: str = "",
        timeout: float = 5.0,
        tls: bool = False,
        tls_skip_verify: bool = False,
        metadata: dict[str, str] | None = None,
        bearer_token: str | None = None,
        basic_auth: tuple[str, str] | None = None,
        authority: str | None = None,
    ) -> None:
        super().__init__(
            grpc_check, timeout, service_name=service_name, tls=tls or None,
            tls_skip_verify=tls_skip_verify or None, metadata=metadata,
            bearer_token=bearer_token, basic_auth=basic_auth, authority=authority,
        )  # fmt: skip


class TCPChecker(_KindChecker):
    """dephealth's TCP checker: a connection that opens."""

    def __init__(self, timeout: float = 5.0) -> None:
        super().__init__(tcp_check, timeout)


class KafkaChecker(_KindChecker):
    """dephealth's Kafka checker: a metadata request to the broker."""

    _type = "kafka"

    def __init__(self, timeout: float = 5.0) -> None:
        super().__init__(kafka_check, timeout)


class PostgresChecker(_KindChecker):
    """dephealth's PostgreSQL checker: ``query`` on the pool, or on a new connection."""

    _type = "postgres"

    def __init__(
        self, timeout: float = 5.0, query: str = "SELECT 1", pool: Any = None, dsn: str = ""
    ) -> None:
        super().__init__(postgres_check, timeout, dsn, query=query, pool=pool)


class MySQLChecker(_KindChecker):
    """dephealth's MySQL checker: ``query`` on the pool, or on a new connection."""

    _type = "mysql"

    def __init__(
        self, timeout: float = 5.0, query: str = "SELECT 1", pool: Any = None, dsn: str = ""
    ) -> None:
        super().__init__(mysql_check, timeout, dsn, query=query, pool=pool)


class RedisChecker(_KindChecker):
    """dephealth's Redis checker: ``PING`` on the client, or on a new connection."""

    _type = "redis"

    def __init__(
        self,
        timeout: float = 5.0,
        password: str = "",
        db: int = 0,
        client: Any = None,
        url: str = "",
    ) -> None:
        super().__init__(redis_check, timeout, url, password=password or None, db=db, client=client)


class AMQPChecker(_KindChecker):
    """dephealth's AMQP checker: a connection to the broker."""

    _type = "amqp"

    def __init__(self, timeout: float = 5.0, url: str = "") -> None:
        super().__init__(amqp_check, timeout, url)


class LdapChecker(_KindChecker):
    """dephealth's LDAP checker: a bind, the root DSE or a search."""

    _type = "ldap"

    def __init__(
        self,
        timeout: float = 5.0,
        check_method: LdapCheckMethod | str = LdapCheckMethod.ROOT_DSE,
        bind_dn: str = "",
        bind_password: str = "",
        base_dn: str = "",
        search_filter: str = "(objectClass=*)",
        search_scope: LdapSearchScope | str = LdapSearchScope.BASE,
        use_tls: bool = False,
        start_tls: bool = False,
        tls_skip_verify: bool = False,
        client: Any = None,
    ) -> None:
        self._scheme = "ldaps" if use_tls else "ldap"
        super().__init__(
            ldap_check, timeout, check_method=str(check_method), bind_dn=bind_dn or None,
            bind_password=bind_password or None, base_dn=base_dn or None,
            search_filter=search_filter, search_scope=str(search_scope),
            start_tls=start_tls or None, tls_skip_verify=tls_skip_verify or None, client=client,
        )  # fmt: skip

    def _address(self, endpoint: Endpoint) -> dict[str, Any]:
        host = f"[{endpoint.host}]" if ":" in endpoint.host else endpoint.host
        return {"url": f"{self._scheme}://{host}:{endpoint.port}"}
