"""A TCP proxy that injects network faults in front of a real server.

``FaultProxy`` listens on loopback and forwards to an upstream ``host:port``. Its mode can be
switched at any time and applies to open connections as well as new ones:

========== ==================================================================================
pass       forward bytes both ways.
refuse     stop listening, so connects get ConnectionRefusedError (and, by default, close the
           open connections like a server that went away). Any other mode listens again on the
           same port.
blackhole  accept and read, never answer, never forward: the peer's reads time out. Bytes are
           held, not dropped, as TCP would after a partition: they flow again when the mode
           goes back to pass or delay. New connections reach upstream only then.
delay      forward each chunk ``delay`` seconds after it arrived, in order.
reset      forward, then reset (RST) the client connection once ``reset_after`` bytes came from
           upstream; switching to reset resets the open connections at once.
========== ==================================================================================

``FaultProxy`` runs on the caller's event loop. ``ThreadedFaultProxy`` hosts one on its own loop in
a daemon thread, for sync tests and servers in other processes; its mode can be set from any thread.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import socket
import struct
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Literal, Self, TypeVar

__all__ = ["FaultProxy", "ProxyMode", "ThreadedFaultProxy"]

ProxyMode = Literal["pass", "refuse", "blackhole", "delay", "reset"]
_MODES: frozenset[str] = frozenset({"pass", "refuse", "blackhole", "delay", "reset"})

# Bytes a pipe may hold (delayed or black-holed) before it stops reading its source, as a
# full TCP window would.
_PIPE_HIGH_WATER = 1 << 20
_EOF = b""
_T = TypeVar("_T")


def _reset_transport(transport: asyncio.BaseTransport) -> None:
    """Close with an RST instead of a FIN, so the peer's next read raises ConnectionResetError."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    if isinstance(transport, asyncio.Transport):
        transport.abort()
    else:
        transport.close()


class _Pipe:
    """One direction of a proxied connection: ordered delivery that can be delayed or held."""

    __slots__ = ("_conn", "_queue", "_queued_bytes", "_timer", "delivered", "dest", "eof_sent")

    def __init__(self, conn: _Connection) -> None:
        self._conn = conn
        self._queue: collections.deque[tuple[float, bytes]] = collections.deque()
        self._queued_bytes = 0
        self._timer: asyncio.TimerHandle | None = None
        self.dest: asyncio.Transport | None = None
        self.delivered = 0
        self.eof_sent = False

    @property
    def congested(self) -> bool:
        return self._queued_bytes > _PIPE_HIGH_WATER

    def feed(self, data: bytes) -> None:
        """Queue ``data`` (``_EOF`` for end of stream) and deliver what is due."""
        proxy = self._conn.proxy
        mode = proxy.mode
        if not self._queue and mode in ("pass", "refuse") and self.dest is not None:
            self._deliver(data)
            return
        due = self._conn.loop.time() + proxy.delay_seconds if mode == "delay" else 0.0
        self._queue.append((due, data))
        self._queued_bytes += len(data)
        if self._timer is None:
            self.flush()
        elif self.congested:
            # A timer is already due for the head of the queue; only flow control may change.
            self._conn.update_reading()

    def flush(self) -> None:
        """Deliver the queued chunks that are due, unless the proxy holds traffic.

        Called on new data, by the timer of the next due chunk, and on every mode change.
        """
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        conn = self._conn
        if self.dest is not None and conn.proxy.mode != "blackhole":
            now = conn.loop.time()
            while self._queue and not conn.closed:
                due, data = self._queue[0]
                if due > now:
                    self._timer = conn.loop.call_at(due, self.flush)
                    break
                self._queue.popleft()
                self._queued_bytes -= len(data)
                self._deliver(data)
        conn.update_reading()

    def _deliver(self, data: bytes) -> None:
        assert self.dest is not None
        if not data:
            self.eof_sent = True
            if self.dest.can_write_eof():
                self.dest.write_eof()
            self._conn.maybe_finish()
            return
        self._conn.deliver(self, data)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._queue.clear()
        self._queued_bytes = 0


class _Side(asyncio.Protocol):
    """Protocol for one socket of a proxied connection; ``inbound`` carries what it reads."""

    def __init__(self, conn: _Connection, inbound: _Pipe, outbound: _Pipe) -> None:
        self.conn = conn
        self.inbound = inbound
        self.outbound = outbound
        self.transport: asyncio.Transport | None = None
        self.write_paused = False
        self.eof_received_ = False

    def data_received(self, data: bytes) -> None:
        self.inbound.feed(data)

    def eof_received(self) -> bool:
        self.eof_received_ = True
        self.inbound.feed(_EOF)
        return True

    def pause_writing(self) -> None:
        self.write_paused = True
        self.conn.update_reading()

    def resume_writing(self) -> None:
        self.write_paused = False
        self.conn.update_reading()


class _ClientSide(_Side):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.outbound.dest = transport
        self.conn.client_connected()

    def connection_lost(self, exc: Exception | None) -> None:
        self.conn.client_lost()


class _UpstreamSide(_Side):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.outbound.dest = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.conn.upstream_lost()


class _Connection:
    """A client connection and, once made, its upstream connection."""

    def __init__(self, proxy: FaultProxy) -> None:
        self.proxy = proxy
        self.loop = proxy.loop
        self.to_upstream = _Pipe(self)
        self.to_client = _Pipe(self)
        self.client = _ClientSide(self, inbound=self.to_upstream, outbound=self.to_client)
        self.upstream: _UpstreamSide | None = None
        self.connect_task: asyncio.Task[None] | None = None
        self.client_open = False
        self.closed = False

    # life cycle -----------------------------------------------------------------------------

    def client_connected(self) -> None:
        self.client_open = True
        self.proxy._register(self)
        if self.proxy.mode == "reset" and self.proxy.reset_after == 0:
            self.reset()
            return
        self.kick()

    def kick(self) -> None:
        """Connect upstream if not done yet and deliver what is due, unless traffic is held."""
        if self.closed or self.proxy.mode == "blackhole":
            return
        if self.upstream is None and self.connect_task is None:
            self.connect_task = self.loop.create_task(self._connect_upstream())
        self.to_upstream.flush()
        self.to_client.flush()

    async def _connect_upstream(self) -> None:
        host, port = self.proxy.upstream
        try:
            async with asyncio.timeout(self.proxy.connect_timeout):
                await self.loop.create_connection(self._make_upstream_side, host, port)
        except (OSError, TimeoutError):
            # Upstream is down: the client sees its connection reset rather than hanging.
            self.connect_task = None
            self.reset()
            return
        self.connect_task = None
        if self.closed:
            if self.upstream is not None and self.upstream.transport is not None:
                self.upstream.transport.abort()
            return
        self.to_upstream.flush()

    def _make_upstream_side(self) -> _UpstreamSide:
        self.upstream = _UpstreamSide(self, inbound=self.to_client, outbound=self.to_upstream)
        return self.upstream

    def client_lost(self) -> None:
        self.client_open = False
        if self.closed:
            return
        # The client is gone; what it sent may still reach upstream (delayed or held), then EOF.
        self.to_client.cancel()
        if self.upstream is None:
            self.close()
        elif not self.client.eof_received_:
            self.client.eof_received_ = True
            self.to_upstream.feed(_EOF)
        else:
            self.maybe_finish()

    def upstream_lost(self) -> None:
        if self.closed:
            return
        assert self.upstream is not None
        if not self.upstream.eof_received_:
            self.upstream.eof_received_ = True
            self.to_client.feed(_EOF)
        else:
            self.maybe_finish()

    def maybe_finish(self) -> None:
        """Close both sockets once nothing more can flow either way."""
        client_done = self.to_upstream.eof_sent or not self.client_open
        upstream = self.upstream
        upstream_done = self.to_client.eof_sent or (
            upstream is not None
            and upstream.transport is not None
            and upstream.transport.is_closing()
        )
        if client_done and upstream_done:
            self.close()

    # data -------------------------------------------------------------------------------

    def deliver(self, pipe: _Pipe, data: bytes) -> None:
        dest = pipe.dest
        assert dest is not None
        if dest.is_closing():
            return
        if pipe is self.to_client and self.proxy.mode == "reset":
            room = self.proxy.reset_after - pipe.delivered
            if len(data) >= room:
                if room > 0:
                    dest.write(data[:room])
                    pipe.delivered += room
                self.reset()
                return
        pipe.delivered += len(data)
        dest.write(data)

    def update_reading(self) -> None:
        """Read a side only while its bytes can go somewhere: flow control across the proxy."""
        upstream = self.upstream
        self._set_reading(
            self.client.transport,
            not self.to_upstream.congested and not (upstream is not None and upstream.write_paused),
        )
        if upstream is not None:
            self._set_reading(
                upstream.transport, not self.to_client.congested and not self.client.write_paused
            )

    @staticmethod
    def _set_reading(transport: asyncio.Transport | None, reading: bool) -> None:
        if transport is None or transport.is_closing():
            return
        if reading and not transport.is_reading():
            transport.resume_reading()
        elif not reading and transport.is_reading():
            transport.pause_reading()

    # teardown -----------------------------------------------------------------------------

    def reset(self) -> None:
        """Reset the client with an RST and drop the upstream connection."""
        if self.client.transport is not None:
            _reset_transport(self.client.transport)
        self.close(abort=True)

    def close(self, *, abort: bool = False) -> None:
        if self.closed:
            return
        self.closed = True
        self.proxy._unregister(self)
        self.to_client.cancel()
        self.to_upstream.cancel()
        if self.connect_task is not None:
            self.connect_task.cancel()
        for side in (self.client, self.upstream):
            if side is not None and side.transport is not None:
                if abort:
                    side.transport.abort()
                else:
                    side.transport.close()


class FaultProxy:
    """An asyncio TCP proxy whose fault mode can be switched at runtime.

    Example:
        async with FaultProxy("127.0.0.1", 6379) as proxy:
            client = redis.asyncio.Redis(host=proxy.host, port=proxy.port)
            proxy.refuse()        # connects now fail with ConnectionRefusedError
            proxy.pass_through()  # listening again, same port

    Mode setters are plain methods that must be called on the proxy's event loop (use
    ``ThreadedFaultProxy`` to drive a proxy from other threads).
    """

    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        connect_timeout: float = 5.0,
    ) -> None:
        self.upstream: tuple[str, int] = (upstream_host, upstream_port)
        self.host = host
        self.connect_timeout = connect_timeout
        self._port = port
        self._mode: ProxyMode = "pass"
        self._delay = 0.0
        self._reset_after = 0
        self._listener: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connections: set[_Connection] = set()
        self._accept_tasks: set[asyncio.Task[None]] = set()
        self._accepted = 0
        self._closed = False

    # properties ---------------------------------------------------------------------------

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("FaultProxy is not started")
        return self._loop

    @property
    def port(self) -> int:
        """The listening port; stays the same across refuse and back."""
        if not self._port:
            raise RuntimeError("FaultProxy is not started")
        return self._port

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    @property
    def mode(self) -> ProxyMode:
        return self._mode

    @property
    def delay_seconds(self) -> float:
        return self._delay

    @property
    def reset_after(self) -> int:
        return self._reset_after

    @property
    def accepted_connections(self) -> int:
        """Connections accepted since start."""
        return self._accepted

    @property
    def open_connections(self) -> int:
        """Client connections open right now."""
        return sum(1 for conn in self._connections if conn.client_open)

    # life cycle -----------------------------------------------------------------------------

    async def start(self) -> Self:
        """Listen on ``host`` (a free port unless one was given) on the running loop."""
        if self._loop is not None:
            raise RuntimeError("FaultProxy already started")
        self._loop = asyncio.get_running_loop()
        self._listen()
        return self

    async def aclose(self) -> None:
        """Stop listening and abort every connection. Idempotent."""
        if self._closed or self._loop is None:
            self._closed = True
            return
        self._closed = True
        self._stop_listening()
        # Accepted sockets become transports within a loop turn; a cancelled accept would leak one.
        if self._accept_tasks:
            await asyncio.gather(*self._accept_tasks, return_exceptions=True)
        connecting = [c.connect_task for c in self._connections if c.connect_task is not None]
        for conn in list(self._connections):
            conn.close(abort=True)
        if connecting:
            await asyncio.gather(*connecting, return_exceptions=True)
        # Let the transports run their connection_lost callbacks and release their sockets.
        await asyncio.sleep(0)

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # modes ------------------------------------------------------------------------------------

    def set_mode(
        self,
        mode: ProxyMode,
        *,
        delay: float = 0.0,
        reset_after: int = 0,
        drop_existing: bool = True,
    ) -> None:
        """Switch the fault mode; applies to open connections too.

        Args:
            mode: one of ``pass``, ``refuse``, ``blackhole``, ``delay``, ``reset``.
            delay: seconds added before each chunk, for ``delay``.
            reset_after: bytes from upstream a connection gets before its reset, for ``reset``.
            drop_existing: for ``refuse``, also close the open connections.
        """
        if mode not in _MODES:
            raise ValueError(f"unknown proxy mode {mode!r}; expected one of {sorted(_MODES)}")
        if delay < 0 or reset_after < 0:
            raise ValueError("delay and reset_after must not be negative")
        if self._closed:
            raise RuntimeError("FaultProxy is closed")
        self._mode = mode
        self._delay = float(delay)
        self._reset_after = int(reset_after)
        if mode == "refuse":
            self._stop_listening()
            if drop_existing:
                self.drop_connections()
            return
        if self._listener is None and self._loop is not None:
            self._listen()
        for conn in list(self._connections):
            if mode == "reset":
                conn.reset()
            else:
                conn.kick()

    def pass_through(self) -> None:
        """Forward bytes unchanged (the initial mode)."""
        self.set_mode("pass")

    def refuse(self, *, drop_existing: bool = True) -> None:
        """Stop listening: connects are refused; open connections are closed unless told not to."""
        self.set_mode("refuse", drop_existing=drop_existing)

    def blackhole(self) -> None:
        """Accept and read, never answer and never forward."""
        self.set_mode("blackhole")

    def delay(self, seconds: float) -> None:
        """Forward each chunk, both ways, ``seconds`` after it arrived."""
        self.set_mode("delay", delay=seconds)

    def reset(self, after_bytes: int = 0) -> None:
        """Reset open connections now, and new ones after ``after_bytes`` bytes from upstream."""
        self.set_mode("reset", reset_after=after_bytes)

    def drop_connections(self) -> None:
        """Close every open connection (FIN both ways), keep listening."""
        for conn in list(self._connections):
            conn.close()

    # listening ------------------------------------------------------------------------------

    def _listen(self) -> None:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self._port))
            sock.listen(128)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        self._port = sock.getsockname()[1]
        self._listener = sock
        self.loop.add_reader(sock.fileno(), self._accept_ready)

    def _stop_listening(self) -> None:
        sock, self._listener = self._listener, None
        if sock is not None:
            self.loop.remove_reader(sock.fileno())
            sock.close()

    def _accept_ready(self) -> None:
        listener = self._listener
        while listener is not None:
            try:
                client_sock, _ = listener.accept()
            except OSError:
                return
            client_sock.setblocking(False)
            client_sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            task = self.loop.create_task(self._serve_accepted(client_sock))
            self._accept_tasks.add(task)
            task.add_done_callback(self._accept_tasks.discard)

    async def _serve_accepted(self, client_sock: socket.socket) -> None:
        conn = _Connection(self)
        try:
            await self.loop.connect_accepted_socket(lambda: conn.client, client_sock)
        except OSError:
            client_sock.close()

    def _register(self, conn: _Connection) -> None:
        self._accepted += 1
        if self._closed:
            conn.close(abort=True)
            return
        self._connections.add(conn)

    def _unregister(self, conn: _Connection) -> None:
        self._connections.discard(conn)


class ThreadedFaultProxy:
    """A ``FaultProxy`` on its own event loop in a daemon thread, driven from any thread.

    Example:
        with ThreadedFaultProxy("127.0.0.1", 5432) as proxy:
            proxy.blackhole()
    """

    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        connect_timeout: float = 5.0,
    ) -> None:
        self._proxy = FaultProxy(
            upstream_host, upstream_port, host=host, port=port, connect_timeout=connect_timeout
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def proxy(self) -> FaultProxy:
        """The hosted proxy; touch it only from its own loop."""
        return self._proxy

    @property
    def host(self) -> str:
        return self._proxy.host

    @property
    def port(self) -> int:
        return self._proxy.port

    @property
    def address(self) -> tuple[str, int]:
        return self._proxy.address

    @property
    def upstream(self) -> tuple[str, int]:
        return self._proxy.upstream

    @property
    def mode(self) -> ProxyMode:
        return self._proxy.mode

    @property
    def accepted_connections(self) -> int:
        return self._proxy.accepted_connections

    @property
    def open_connections(self) -> int:
        return self._proxy.open_connections

    def start(self) -> Self:
        """Start the loop thread and the proxy; returns once it listens."""
        if self._thread is not None:
            raise RuntimeError("ThreadedFaultProxy already started")
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="fault-proxy", daemon=True)
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._proxy.start(), loop).result(timeout=10)
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Close the proxy, stop its loop and join the thread. Idempotent."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        self._loop = self._thread = None
        try:
            asyncio.run_coroutine_threadsafe(self._proxy.aclose(), loop).result(timeout=10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
            if not thread.is_alive():
                loop.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _call(self, fn: Callable[[], _T]) -> _T:
        loop = self._loop
        if loop is None:
            raise RuntimeError("ThreadedFaultProxy is not started")
        done: concurrent.futures.Future[_T] = concurrent.futures.Future()

        def run() -> None:
            try:
                done.set_result(fn())
            except BaseException as exc:
                done.set_exception(exc)

        loop.call_soon_threadsafe(run)
        return done.result(timeout=10)

    def set_mode(
        self,
        mode: ProxyMode,
        *,
        delay: float = 0.0,
        reset_after: int = 0,
        drop_existing: bool = True,
    ) -> None:
        """Same as ``FaultProxy.set_mode``; returns once the mode is in force."""
        self._call(
            lambda: self._proxy.set_mode(
                mode, delay=delay, reset_after=reset_after, drop_existing=drop_existing
            )
        )

    def pass_through(self) -> None:
        self.set_mode("pass")

    def refuse(self, *, drop_existing: bool = True) -> None:
        self.set_mode("refuse", drop_existing=drop_existing)

    def blackhole(self) -> None:
        self.set_mode("blackhole")

    def delay(self, seconds: float) -> None:
        self.set_mode("delay", delay=seconds)

    def reset(self, after_bytes: int = 0) -> None:
        self.set_mode("reset", reset_after=after_bytes)

    def drop_connections(self) -> None:
        self._call(self._proxy.drop_connections)
