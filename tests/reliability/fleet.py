"""Every kind of dependency the suite checks, each behind a fault proxy of its own.

``Fleet`` starts what the machine does not run already (an HTTP and a gRPC health server in
this process), puts one :class:`ThreadedFaultProxy` in front of each server, and says how an
app addresses them: ``DEPHEALTH_<DEP>_*`` variables, so an app in another process (uvicorn,
gunicorn) declares the same dependencies through the environment. The proxies live in this
process: the test switches their faults and reads their connection counts, which are what
the servers see.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.support.fault_proxy import ThreadedFaultProxy
from tests.support.stubs import GrpcStubServer, HttpStubServer

#: Credentials of the machine's shared servers (see tests/support/README.md).
PG_PASSWORD = "any-password-trust-auth"


@dataclass
class Fleet:
    """One proxy per dependency, by dependency name, plus the variables that declare them."""

    proxies: dict[str, ThreadedFaultProxy] = field(default_factory=dict)
    environ: dict[str, str] = field(default_factory=dict)
    #: Dependencies declared by ``DEPHEALTH_*`` variables (the others: Django's own aliases).
    declared: tuple[str, ...] = ()

    def blackhole(self) -> None:
        """Every dependency accepts connections and never answers."""
        for proxy in self.proxies.values():
            proxy.blackhole()

    def pass_through(self) -> None:
        """Every dependency answers again."""
        for proxy in self.proxies.values():
            proxy.pass_through()

    def delay(self, seconds: float) -> None:
        """Every dependency answers, each chunk ``seconds`` late, both ways."""
        for proxy in self.proxies.values():
            proxy.delay(seconds)

    def open_connections(self) -> dict[str, int]:
        """Connections open through each proxy right now."""
        return {name: proxy.open_connections for name, proxy in self.proxies.items()}

    def accepted_connections(self) -> dict[str, int]:
        """Connections each proxy has accepted so far."""
        return {name: proxy.accepted_connections for name, proxy in self.proxies.items()}


@contextmanager
def fleet(
    servers: dict[str, Any], *, interval: float = 1.0, timeout: float = 0.5
) -> Iterator[Fleet]:
    """Proxies in front of every kind of dependency and the environment that declares them.

    Args:
        servers: ``slapd`` and ``kafka`` from the root fixtures (PrivateSlapd, KafkaBroker).
        interval: ``DEPHEALTH_CHECK_INTERVAL``.
        timeout: ``DEPHEALTH_TIMEOUT``.
    """
    with ExitStack() as stack:
        http_port = stack.enter_context(HttpStubServer()).port
        grpc_port = stack.enter_context(GrpcStubServer()).port
        upstream = {
            "pg": 5432,
            "mysql": 3306,
            "redis": 6379,
            "amqp": 5672,
            "kafka": servers["kafka"].port,
            "ldap": servers["slapd"].port,
            "http": http_port,
            "grpc": grpc_port,
            "tcp": http_port,
            # Django's DATABASES and CACHES (REL_DB_PORT, REL_CACHE_PORT), for its adapter.
            "djdb": 5432,
            "djcache": 6379,
        }
        result = Fleet()
        for name, port in upstream.items():
            proxy = ThreadedFaultProxy("127.0.0.1", port).start()
            stack.callback(proxy.close)
            result.proxies[name] = proxy
        port = {name: proxy.port for name, proxy in result.proxies.items()}
        urls = {
            "pg": f"postgres://postgres:{PG_PASSWORD}@127.0.0.1:{port['pg']}/test",
            "mysql": f"mysql://root@127.0.0.1:{port['mysql']}/test",
            "redis": f"redis://127.0.0.1:{port['redis']}/0",
            "amqp": f"amqp://guest:guest@127.0.0.1:{port['amqp']}/",
            "kafka": f"kafka://127.0.0.1:{port['kafka']}",
            "ldap": f"ldap://127.0.0.1:{port['ldap']}",
            "http": f"http://127.0.0.1:{port['http']}/health",
            "grpc": f"grpc://127.0.0.1:{port['grpc']}",
            "tcp": f"tcp://127.0.0.1:{port['tcp']}",
        }
        result.declared = tuple(urls)
        result.environ = {
            "REL_DB_PORT": str(port["djdb"]),
            "REL_CACHE_PORT": str(port["djcache"]),
            "DEPHEALTH_NAME": "reliability",
            "DEPHEALTH_GROUP": "tests",
            "DEPHEALTH_CHECK_INTERVAL": str(interval),
            "DEPHEALTH_TIMEOUT": str(timeout),
        }
        for name, url in urls.items():
            upper = name.upper()
            result.environ[f"DEPHEALTH_{upper}_URL"] = url
            result.environ[f"DEPHEALTH_{upper}_CRITICAL"] = "yes"
        yield result
