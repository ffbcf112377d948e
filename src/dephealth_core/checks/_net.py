"""Non-blocking TCP connection set-up shared by the checkers that open raw sockets."""

from __future__ import annotations

import asyncio
import encodings.idna  # noqa: F401
import socket

from .._exceptions import DnsError
from .._urls import is_ip_literal

# getaddrinfo() imports encodings.idna lazily, in whichever thread first resolves a name. A
# fork() while that import holds its module lock leaves the child's lock held forever, hanging
# the child's first name lookup (seen under gunicorn --preload); import it up front instead.


async def resolve(host: str, port: int) -> list[tuple[int, tuple[object, ...]]]:
    """``(family, sockaddr)`` pairs for ``host``; IP literals skip the resolver entirely."""
    if is_ip_literal(host):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        return [(family, (host, port))]
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise DnsError(f"cannot resolve {host!r}") from exc
    return [(family, sockaddr) for family, _, _, _, sockaddr in infos]


async def open_socket(host: str, port: int) -> socket.socket:
    """Connect a non-blocking TCP socket to ``host:port``, trying each resolved address.

    The socket is closed on any failure, cancellation included.
    """
    loop = asyncio.get_running_loop()
    last_error: OSError | None = None
    for family, sockaddr in await resolve(host, port):
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            await loop.sock_connect(sock, sockaddr)
        except OSError as exc:
            sock.close()
            last_error = exc
            continue
        except BaseException:
            sock.close()
            raise
        return sock
    assert last_error is not None
    raise last_error
