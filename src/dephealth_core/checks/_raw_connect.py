"""A TCP connect on a raw non-blocking socket, driven by one writer callback: no task, no future.

The cheapest way for a loop to learn that a port accepts connections: ``connect_ex`` starts the
handshake, the loop calls back once the socket is writable, ``SO_ERROR`` gives the outcome, and
the socket is closed at once. The check's driver aborts it at the deadline; every path closes
the socket.
"""

from __future__ import annotations

import asyncio
import errno
import os
import socket
from collections.abc import Callable

#: ``done(error)``: ``None`` when the connection opened, the ``OSError`` otherwise.
Done = Callable[[BaseException | None], None]


def _error(code: int) -> OSError:
    # OSError(errno, text) builds the matching subclass (ConnectionRefusedError...).
    return OSError(code, os.strerror(code))


def begin_connect(
    loop: asyncio.AbstractEventLoop, family: int, address: tuple[object, ...], done: Done
) -> Callable[[], None] | None:
    """Start connecting to ``address``; call ``done`` once with the outcome.

    Returns a function that aborts the attempt (closing the socket, then calling ``done`` with a
    ``CancelledError``), or ``None`` when ``done`` was already called.
    """
    try:
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError as exc:
        done(exc)
        return None
    try:
        sock.setblocking(False)
        code = sock.connect_ex(address)
    except OSError as exc:
        sock.close()
        done(exc)
        return None
    if code != errno.EINPROGRESS:
        sock.close()
        done(None if code == 0 else _error(code))
        return None
    fd = sock.fileno()

    def writable() -> None:
        loop.remove_writer(fd)
        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        sock.close()
        done(None if code == 0 else _error(code))

    def abort() -> None:
        if sock.fileno() == -1:
            return
        loop.remove_writer(fd)
        sock.close()
        done(asyncio.CancelledError())

    try:
        loop.add_writer(fd, writable)
    except BaseException:
        sock.close()
        raise
    return abort
