"""``TcpStubServer``: an in-process TCP server on its own thread, for raw TCP checks."""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from collections.abc import Iterator
from types import TracebackType
from typing import Literal, Self

from .ports import wait_for_port_closed

__all__ = ["StubBehaviour", "TcpStubServer"]

StubBehaviour = Literal["close", "echo", "hold"]


class TcpStubServer:
    """Listens on 127.0.0.1 in a daemon thread; works from sync and async tests alike.

    Behaviours: ``close`` accepts then closes at once, ``echo`` sends back what it reads, ``hold``
    reads and never answers. ``stop()`` closes the listener and every connection; ``start()``
    listens again on the same port.

    Example:
        with TcpStubServer("echo") as stub:
            tcp_check("stub", host=stub.host, port=stub.port, critical=True)
    """

    host = "127.0.0.1"

    def __init__(self, behaviour: StubBehaviour = "close", *, port: int = 0) -> None:
        if behaviour not in ("close", "echo", "hold"):
            raise ValueError(f"unknown behaviour {behaviour!r}")
        self.behaviour: StubBehaviour = behaviour
        self.port = port
        self.accepted = 0
        self._thread: threading.Thread | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> Self:
        """Listen (on the same port as before, if any) and serve in a daemon thread."""
        if self._thread is not None:
            return self
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self.host, self.port))
            listener.listen(128)
        except OSError:
            listener.close()
            raise
        listener.setblocking(False)
        self.port = listener.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._thread = threading.Thread(
            target=self._serve, args=(listener, self._wake_r), name="tcp-stub", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the listener and all connections; returns once the port refuses. Idempotent."""
        thread, wake_w = self._thread, self._wake_w
        if thread is None or wake_w is None:
            return
        wake_w.send(b"x")
        thread.join(timeout=10)
        wake_w.close()
        self._thread = self._wake_w = self._wake_r = None
        wait_for_port_closed(self.host, self.port, timeout=5)

    close = stop

    def restart(self) -> Self:
        """Stop, then listen again on the same port."""
        self.stop()
        return self.start()

    @contextlib.contextmanager
    def stopped(self) -> Iterator[None]:
        """Keep the stub stopped inside the block; it listens again on exit, even on failure."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _serve(self, listener: socket.socket, wake: socket.socket) -> None:
        sel = selectors.DefaultSelector()
        sel.register(listener, selectors.EVENT_READ, "accept")
        sel.register(wake, selectors.EVENT_READ, "wake")
        try:
            while True:
                for key, _ in sel.select():
                    if key.data == "wake":
                        return
                    if key.data == "accept":
                        self._accept(sel, listener)
                    else:
                        self._read(sel, key.fileobj)  # type: ignore[arg-type]
        finally:
            for key in list(sel.get_map().values()):
                with contextlib.suppress(OSError):
                    key.fileobj.close()  # type: ignore[union-attr]
            sel.close()

    def _accept(self, sel: selectors.BaseSelector, listener: socket.socket) -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            self.accepted += 1
            if self.behaviour == "close":
                conn.close()
                continue
            conn.setblocking(False)
            sel.register(conn, selectors.EVENT_READ, "conn")

    def _read(self, sel: selectors.BaseSelector, conn: socket.socket) -> None:
        try:
            data = conn.recv(65536)
        except OSError:
            data = b""
        if not data:
            sel.unregister(conn)
            conn.close()
            return
        if self.behaviour == "echo":
            conn.settimeout(5.0)
            try:
                conn.sendall(data)
            except OSError:
                sel.unregister(conn)
                conn.close()
            finally:
                if conn.fileno() >= 0:
                    conn.setblocking(False)
