"""TCP checks: a connection that opens is a healthy endpoint."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Unpack

from .._dependency import Dependency, Endpoint, EndpointOptions, Kind, Target
from .._urls import is_ip_literal
from ._factories import declares
from ._net import open_socket
from ._raw_connect import Done, begin_connect


class TcpChecker:
    """Opens a TCP connection to the endpoint and closes it at once; sends nothing."""

    async def check(self, endpoint: Endpoint) -> None:
        """Connect to ``endpoint``."""
        sock = await open_socket(endpoint.host, int(endpoint.port))
        sock.close()

    def begin_check(self, endpoint: Endpoint, done: Done) -> Callable[[], object] | None:
        """Start a check without a task (the engine's fast path); ``done`` gets the outcome.

        An IP address is connected to on a raw socket with one writer callback; a name needs
        the resolver, so it takes :meth:`check` in a task.
        """
        loop = asyncio.get_running_loop()
        host = endpoint.host
        if is_ip_literal(host):
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            return begin_connect(loop, family, (host, int(endpoint.port)), done)
        task = loop.create_task(self.check(endpoint))

        def finished(task: asyncio.Task[None]) -> None:
            done(asyncio.CancelledError() if task.cancelled() else task.exception())

        task.add_done_callback(finished)
        return task.cancel


def _make_checker(dependency: Dependency, target: Target) -> TcpChecker:
    return TcpChecker()


TCP_KIND = Kind(
    type="tcp", default_port=None, make_checker=_make_checker, declaration=EndpointOptions
)


@declares(TCP_KIND)
def tcp_check(name: str, **options: Unpack[EndpointOptions]) -> Dependency:
    """Declare a raw TCP dependency: healthy when a connection to it opens.

    Args:
        url: ``tcp://host:port`` (several ``host:port`` pairs separated by commas).
        port: the port (required: TCP has no default).
        **common: ``interval``, ``timeout``, ``initial_delay``, ``failure_threshold``,
            ``success_threshold``, ``labels``.
    """
    return TCP_KIND.declare(name, options)
