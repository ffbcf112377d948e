"""``StubServer``: the life cycle every in-process stub server shares (TCP, HTTP, gRPC...).

A stub listens on 127.0.0.1 and serves from daemon threads of the test process, so sync and async
tests use it alike. A subclass says how to listen and serve (``_listen``) and how to stop
(``_shut_down``); the base keeps the port across restarts and waits until it refuses.
"""

from __future__ import annotations

from typing import Self

from ._life_cycle import LifeCycle
from .ports import wait_for_port_closed

__all__ = ["StubServer"]


class StubServer(LifeCycle):
    """``start()`` listens (on the same port as before, if any); ``stop()`` returns once it refuses.

    Also ``restart()``, ``with stub.stopped():`` (listening again on exit, even on failure),
    ``close()`` (same as ``stop()``) and ``with Stub() as stub:``. ``port=0`` picks a free port
    at the first start.
    """

    host = "127.0.0.1"

    def __init__(self, *, port: int = 0) -> None:
        self.port = port
        self._running = False

    # to override ----------------------------------------------------------------------------

    def _listen(self) -> int:
        """Listen on ``(host, port)`` and serve in daemon threads; the port listened on."""
        raise NotImplementedError

    def _shut_down(self) -> None:
        """Close the listener and every connection."""
        raise NotImplementedError

    # public -------------------------------------------------------------------------------

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    @property
    def running(self) -> bool:
        return self._running

    def start(self) -> Self:
        """Listen and serve; a no-op when running."""
        if not self._running:
            self.port = self._listen()
            self._running = True
        return self

    def stop(self) -> None:
        """Close the listener and all connections; returns once the port refuses. Idempotent."""
        if not self._running:
            return
        self._running = False
        self._shut_down()
        wait_for_port_closed(self.host, self.port, timeout=10)

    def __repr__(self) -> str:
        state = "running" if self._running else "stopped"
        return f"<{type(self).__name__} {self.host}:{self.port} {state}>"
