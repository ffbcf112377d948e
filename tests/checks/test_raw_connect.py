"""The task-free TCP connect on real loopback sockets, on asyncio and uvloop loops."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable, Iterator

import pytest

from dephealth_core._classify import classify
from dephealth_core.checks._raw_connect import begin_connect

from .servers import refused_port, syn_black_hole


def loop_factories() -> list[Callable[[], asyncio.AbstractEventLoop]]:
    factories: list[Callable[[], asyncio.AbstractEventLoop]] = [asyncio.new_event_loop]
    try:
        import uvloop
    except ImportError:
        return factories
    return [*factories, uvloop.new_event_loop]


@pytest.fixture(params=loop_factories(), ids=lambda factory: factory.__module__.split(".")[0])
def run(request: pytest.FixtureRequest) -> Iterator[Callable[..., object]]:
    with asyncio.Runner(loop_factory=request.param) as runner:
        yield runner.run


@pytest.fixture
def listener() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield sock.getsockname()[1]


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def connect(port: int) -> BaseException | None:
    loop = asyncio.get_running_loop()
    outcome: asyncio.Future[BaseException | None] = loop.create_future()
    begin_connect(loop, socket.AF_INET, ("127.0.0.1", port), outcome.set_result)
    return await asyncio.wait_for(outcome, 30)


def test_a_listening_port_connects(run: Callable[..., object], listener: int) -> None:
    """A port that listens reports success, and the socket is closed."""
    before = open_fds()
    assert run(connect(listener)) is None
    assert open_fds() == before


def test_a_refused_port_reads_connection_refused(run: Callable[..., object]) -> None:
    """A closed port is a ConnectionRefusedError, classified connection_refused."""
    error = run(connect(refused_port()))
    assert isinstance(error, ConnectionRefusedError)
    assert classify(error) == "connection_refused"


def test_abort_closes_the_socket(run: Callable[..., object]) -> None:
    """An attempt to a black hole, aborted, reports cancellation and leaks no descriptor."""
    with syn_black_hole() as port:
        before = open_fds()

        async def attempt() -> BaseException | None:
            loop = asyncio.get_running_loop()
            outcome: asyncio.Future[BaseException | None] = loop.create_future()
            abort = begin_connect(loop, socket.AF_INET, ("127.0.0.1", port), outcome.set_result)
            assert abort is not None
            loop.call_later(0.2, abort)
            return await asyncio.wait_for(outcome, 30)

        assert isinstance(run(attempt()), asyncio.CancelledError)
        assert open_fds() == before
