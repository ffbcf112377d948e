"""TCP checks: a connection that opens is a healthy endpoint."""

from __future__ import annotations

from typing import Unpack

from .._dependency import Dependency, Endpoint, EndpointOptions, Kind, Target
from ._net import open_socket


class TcpChecker:
    """Opens a TCP connection to the endpoint and closes it at once; sends nothing."""

    async def check(self, endpoint: Endpoint) -> None:
        """Connect to ``endpoint``."""
        sock = await open_socket(endpoint.host, int(endpoint.port))
        sock.close()


def _make_checker(dependency: Dependency, target: Target) -> TcpChecker:
    return TcpChecker()


TCP_KIND = Kind(
    type="tcp", default_port=None, make_checker=_make_checker, declaration=EndpointOptions
)


def tcp_check(name: str, **options: Unpack[EndpointOptions]) -> Dependency:
    """Declare a raw TCP dependency: healthy when a connection to it opens.

    Args:
        name: the dependency name (``[a-z][a-z0-9-]*``).
        critical: whether the service cannot work without it (required).
        url: ``tcp://host:port`` (several ``host:port`` pairs separated by commas).
        host: the host, instead of ``url``.
        port: the port (required: TCP has no default).
        **common: ``interval``, ``timeout``, ``initial_delay``, ``failure_threshold``,
            ``success_threshold``, ``labels``.
    """
    return TCP_KIND.declare(name, options)
