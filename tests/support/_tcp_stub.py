"""``TcpStubServer``: a raw TCP stub that closes, echoes or holds, for TCP checks and proxies."""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from typing import Literal

from ._stub_server import StubServer

__all__ = ["StubBehaviour", "TcpStubServer"]

StubBehaviour = Literal["close", "echo", "hold"]


class TcpStubServer(StubServer):
    """Raw TCP: ``close`` accepts then closes at once, ``echo`` sends back what it reads, ``hold``
    reads and never answers. ``accepted`` counts the connections accepted so far.

    Example:
        with TcpStubServer("echo") as stub:
            tcp_check("stub", host=stub.host, port=stub.port, critical=True)
    """

    def __init__(self, behaviour: StubBehaviour = "close", *, port: int = 0) -> None:
        if behaviour not in ("close", "echo", "hold"):
            raise ValueError(f"unknown behaviour {behaviour!r}")
        super().__init__(port=port)
        self.behaviour: StubBehaviour = behaviour
        self.accepted = 0
        self._thread: threading.Thread | None = None
        self._wake_w: socket.socket | None = None

    def _listen(self) -> int:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self.host, self.port))
            listener.listen(128)
        except OSError:
            listener.close()
            raise
        listener.setblocking(False)
        wake_r, self._wake_w = socket.socketpair()
        self._thread = threading.Thread(
            target=self._serve, args=(listener, wake_r), name="tcp-stub", daemon=True
        )
        self._thread.start()
        return int(listener.getsockname()[1])

    def _shut_down(self) -> None:
        thread, wake_w = self._thread, self._wake_w
        self._thread = self._wake_w = None
        if thread is None or wake_w is None:
            return
        wake_w.send(b"x")
        thread.join(timeout=10)
        wake_w.close()

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
