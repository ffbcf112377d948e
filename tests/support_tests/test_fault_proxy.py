"""FaultProxy and ThreadedFaultProxy do to a client what their mode promises."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest

from tests.support.fault_proxy import FaultProxy, ThreadedFaultProxy
from tests.support.ports import free_port
from tests.support.stubs import TcpStubServer


@pytest.fixture
def echo() -> Iterator[TcpStubServer]:
    with TcpStubServer("echo") as stub:
        yield stub


@pytest.fixture
async def proxy(echo: TcpStubServer) -> AsyncIterator[FaultProxy]:
    async with FaultProxy(echo.host, echo.port) as started:
        yield started


Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]
Connect = Callable[[FaultProxy], Awaitable[Stream]]


@pytest.fixture
async def connect() -> AsyncIterator[Connect]:
    """Open client streams to a proxy; all are closed after the test, even a failed one."""
    writers: list[asyncio.StreamWriter] = []

    async def open_stream(proxy: FaultProxy) -> Stream:
        reader, writer = await asyncio.open_connection(proxy.host, proxy.port)
        writers.append(writer)
        return reader, writer

    yield open_stream
    for writer in writers:
        await close(writer)


async def roundtrip(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, payload: bytes
) -> bytes:
    writer.write(payload)
    await writer.drain()
    return await asyncio.wait_for(reader.readexactly(len(payload)), 5)


async def close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()


async def test_pass_forwards_bytes_both_ways(proxy: FaultProxy, connect: Connect) -> None:
    """In pass mode a client talks to upstream as if the proxy were not there, even at 2 MB."""
    reader, writer = await connect(proxy)
    assert await roundtrip(reader, writer, b"hello") == b"hello"
    big = bytes(range(256)) * 8192
    assert await roundtrip(reader, writer, big) == big
    assert proxy.accepted_connections == 1
    assert proxy.open_connections == 1
    await close(writer)
    for _ in range(100):
        if proxy.open_connections == 0:
            break
        await asyncio.sleep(0.01)
    assert proxy.open_connections == 0


async def test_refuse_refuses_then_listens_again_on_the_same_port(
    proxy: FaultProxy, connect: Connect
) -> None:
    """Refuse makes connects fail with ConnectionRefusedError and drops open connections."""
    port = proxy.port
    reader, writer = await connect(proxy)
    assert await roundtrip(reader, writer, b"ping") == b"ping"

    proxy.refuse()
    with pytest.raises(ConnectionRefusedError):
        await connect(proxy)
    assert await asyncio.wait_for(reader.read(), 2) == b""  # the open one was closed
    await close(writer)

    proxy.pass_through()
    assert proxy.port == port
    reader, writer = await connect(proxy)
    assert await roundtrip(reader, writer, b"back") == b"back"
    await close(writer)


async def test_refuse_can_keep_open_connections(proxy: FaultProxy, connect: Connect) -> None:
    """With drop_existing=False, new connects are refused but open connections keep working."""
    reader, writer = await connect(proxy)
    proxy.refuse(drop_existing=False)
    assert await roundtrip(reader, writer, b"still") == b"still"
    with pytest.raises(ConnectionRefusedError):
        await connect(proxy)
    await close(writer)


async def test_blackhole_accepts_but_never_answers(
    proxy: FaultProxy, echo: TcpStubServer, connect: Connect
) -> None:
    """A black-holed connect succeeds, the read times out, and upstream never sees it."""
    proxy.blackhole()
    reader, writer = await connect(proxy)
    writer.write(b"anyone?")
    await writer.drain()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(reader.read(1), 0.3)
    assert echo.accepted == 0
    assert proxy.accepted_connections == 1

    # Like TCP after a partition heals, the held bytes flow once the mode is back to pass.
    proxy.pass_through()
    assert await asyncio.wait_for(reader.readexactly(7), 5) == b"anyone?"
    await close(writer)


async def test_blackhole_stalls_an_open_connection(proxy: FaultProxy, connect: Connect) -> None:
    """Switching to blackhole mid-stream makes the next answer never come."""
    reader, writer = await connect(proxy)
    assert await roundtrip(reader, writer, b"one") == b"one"
    proxy.blackhole()
    writer.write(b"two")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(reader.read(1), 0.3)
    await close(writer)


async def test_delay_adds_the_delay_to_each_chunk(proxy: FaultProxy, connect: Connect) -> None:
    """In delay mode a round trip takes at least twice the delay (once each way), not much more."""
    reader, writer = await connect(proxy)
    started = time.perf_counter()
    await roundtrip(reader, writer, b"warm")
    baseline = time.perf_counter() - started

    proxy.delay(0.15)
    started = time.perf_counter()
    assert await roundtrip(reader, writer, b"slow") == b"slow"
    delayed = time.perf_counter() - started
    assert 0.3 <= delayed < 0.3 + baseline + 0.3

    proxy.pass_through()
    started = time.perf_counter()
    await roundtrip(reader, writer, b"fast")
    assert time.perf_counter() - started < 0.1
    await close(writer)


async def test_delay_keeps_byte_order(proxy: FaultProxy, connect: Connect) -> None:
    """Many small writes through a delaying proxy arrive complete and in order."""
    proxy.delay(0.05)
    reader, writer = await connect(proxy)
    chunks = [f"{i:05d}".encode() for i in range(200)]
    for chunk in chunks:
        writer.write(chunk)
        await writer.drain()
    assert await asyncio.wait_for(reader.readexactly(1000), 5) == b"".join(chunks)
    await close(writer)


async def test_reset_mid_stream_resets_open_connections(
    proxy: FaultProxy, connect: Connect
) -> None:
    """Switching to reset makes the next read of an open connection raise ConnectionResetError."""
    reader, writer = await connect(proxy)
    assert await roundtrip(reader, writer, b"fine") == b"fine"
    proxy.reset()
    with pytest.raises(ConnectionResetError):
        await asyncio.wait_for(reader.read(100), 2)
    await close(writer)


async def test_reset_after_bytes_cuts_the_stream(proxy: FaultProxy, connect: Connect) -> None:
    """With reset(after_bytes=N), a new connection gets N bytes from upstream, then an RST."""
    proxy.reset(after_bytes=4)
    reader, writer = await connect(proxy)
    writer.write(b"abcdefgh")
    await writer.drain()
    assert await asyncio.wait_for(reader.readexactly(4), 2) == b"abcd"
    with pytest.raises(ConnectionResetError):
        await asyncio.wait_for(reader.read(100), 2)
    await close(writer)


async def test_upstream_down_resets_the_client(connect: Connect) -> None:
    """When upstream refuses, the proxied client sees its connection reset, not a hang."""
    async with FaultProxy("127.0.0.1", free_port()) as proxy:
        reader, writer = await connect(proxy)
        writer.write(b"x")
        with pytest.raises(ConnectionResetError):
            await asyncio.wait_for(reader.read(1), 2)
        await close(writer)


async def test_upstream_close_reaches_the_client(
    tcp_stub: Callable[..., TcpStubServer], connect: Connect
) -> None:
    """An upstream that closes at once shows as end of stream to the client."""
    stub = tcp_stub("close")
    async with FaultProxy(stub.host, stub.port) as proxy:
        reader, writer = await connect(proxy)
        assert await asyncio.wait_for(reader.read(), 2) == b""
        await close(writer)


async def test_aclose_closes_everything(echo: TcpStubServer, connect: Connect) -> None:
    """After aclose the port refuses and open connections are gone."""
    proxy = await FaultProxy(echo.host, echo.port).start()
    reader, writer = await connect(proxy)
    assert await roundtrip(reader, writer, b"hi") == b"hi"
    await proxy.aclose()
    assert proxy.open_connections == 0
    with pytest.raises((ConnectionError, asyncio.IncompleteReadError)):
        await asyncio.wait_for(roundtrip(reader, writer, b"hi again"), 2)
    with pytest.raises(ConnectionRefusedError):
        await connect(proxy)
    await close(writer)


async def test_factory_fixture_gives_started_proxies(
    fault_proxy: Callable[..., asyncio.Future[FaultProxy]], echo: TcpStubServer, connect: Connect
) -> None:
    """The fault_proxy fixture starts a proxy in front of the given upstream."""
    proxy = await fault_proxy(echo.host, echo.port)
    reader, writer = await connect(proxy)
    assert await roundtrip(reader, writer, b"via fixture") == b"via fixture"
    await close(writer)


def test_threaded_proxy_is_driven_from_a_sync_test(echo: TcpStubServer) -> None:
    """A ThreadedFaultProxy switches modes from the test thread; blocking sockets notice."""
    with ThreadedFaultProxy(echo.host, echo.port) as proxy:
        with socket.create_connection(proxy.address, timeout=2) as sock:
            sock.sendall(b"sync")
            assert sock.recv(4) == b"sync"

            proxy.blackhole()
            sock.settimeout(0.3)
            sock.sendall(b"lost")
            with pytest.raises(TimeoutError):
                sock.recv(4)

        proxy.refuse()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(proxy.address, timeout=2)

        proxy.pass_through()
        with socket.create_connection(proxy.address, timeout=2) as sock:
            sock.settimeout(2)
            sock.sendall(b"again")
            assert sock.recv(5) == b"again"
            proxy.reset()
            with pytest.raises(ConnectionResetError):
                sock.recv(5)
        assert proxy.accepted_connections == 2


def test_threaded_fault_proxy_fixture(
    threaded_fault_proxy: Callable[..., ThreadedFaultProxy], echo: TcpStubServer
) -> None:
    """The threaded_fault_proxy fixture starts a proxy usable from plain sockets."""
    proxy = threaded_fault_proxy(echo.host, echo.port)
    proxy.delay(0.1)
    with socket.create_connection(proxy.address, timeout=2) as sock:
        started = time.perf_counter()
        sock.sendall(b"x")
        assert sock.recv(1) == b"x"
        assert time.perf_counter() - started >= 0.2


def test_unknown_mode_is_rejected() -> None:
    """A typo in a mode name fails loudly instead of silently passing traffic."""
    proxy = FaultProxy("127.0.0.1", 1)
    with pytest.raises(ValueError, match="unknown proxy mode"):
        proxy.set_mode("drop")  # type: ignore[arg-type]
