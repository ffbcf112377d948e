"""Floors of one check on this machine: what the primitives a scheduler is made of cost, in one run.

The scheduler's figures (``bench/scheduler.py``) read against these: CPU per wakeup of an idle
event loop (a timer every 10 ms, in a thread, as the background runner), per TCP connect and
close to a loopback listener by four means (blocking, a non-blocking socket with a writer
callback, ``loop.sock_connect``, ``asyncio.open_connection``), per task of a no-op coroutine and
per ``asyncio.timeout`` block; on asyncio and, when installed, uvloop. Process CPU time per
operation, microseconds, median of ``--repeats``.

    python bench/scheduler_floors.py [--count 3000] [--repeats 5] [--json]

The listener is a private redis-server (``scripts/servers`` installs it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.support.servers import PrivateRedis  # noqa: E402


def loops() -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    found: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {"asyncio": asyncio.new_event_loop}
    try:
        import uvloop
    except ImportError:
        return found
    found["uvloop"] = uvloop.new_event_loop
    return found


def idle_wakeup_us(new_loop: Callable[[], asyncio.AbstractEventLoop], seconds: float) -> float:
    """CPU per wakeup of a loop in a thread whose only work is a timer every 10 ms."""
    loop = new_loop()
    period = 0.01

    def tick() -> None:
        loop.call_later(period, tick)

    loop.call_soon(tick)
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    time.sleep(0.2)
    cpu = time.process_time()
    time.sleep(seconds)
    cpu = time.process_time() - cpu
    loop.call_soon_threadsafe(loop.stop)
    thread.join()
    loop.close()
    return cpu / (seconds / period) * 1e6


def blocking_connect_us(port: int, count: int) -> float:
    cpu = time.process_time()
    for _ in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.connect(("127.0.0.1", port))
        sock.close()
    return (time.process_time() - cpu) / count * 1e6


async def writer_callback_connects(port: int, count: int) -> None:
    """Non-blocking sockets, one at a time: connect_ex, a writer callback, SO_ERROR, close."""
    loop = asyncio.get_running_loop()
    for _ in range(count):
        done = loop.create_future()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", port))
        fd = sock.fileno()

        def writable(fd: int = fd, done: asyncio.Future[None] = done) -> None:
            loop.remove_writer(fd)
            done.set_result(None)

        loop.add_writer(fd, writable)
        await done
        if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
            raise OSError("connect failed")
        sock.close()


async def sock_connects(port: int, count: int) -> None:
    loop = asyncio.get_running_loop()
    for _ in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        await loop.sock_connect(sock, ("127.0.0.1", port))
        sock.close()


async def stream_connects(port: int, count: int) -> None:
    for _ in range(count):
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.close()
        await writer.wait_closed()


async def noop_tasks(port: int, count: int) -> None:
    loop = asyncio.get_running_loop()

    async def noop() -> None:
        return None

    for _ in range(count):
        await loop.create_task(noop())


async def timeout_blocks(port: int, count: int) -> None:
    for _ in range(count):
        async with asyncio.timeout(5):
            pass


def on_loop_us(
    new_loop: Callable[[], asyncio.AbstractEventLoop],
    body: Callable[[int, int], Coroutine[Any, Any, None]],
    port: int,
    count: int,
) -> float:
    loop = new_loop()
    try:
        cpu = time.process_time()
        loop.run_until_complete(body(port, count))
        return (time.process_time() - cpu) / count * 1e6
    finally:
        loop.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=3000, help="operations per measurement")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures: dict[str, list[float]] = {}

    def note(name: str, value: float) -> None:
        figures.setdefault(name, []).append(value)

    with PrivateRedis() as server:
        port = server.port
        for _ in range(args.repeats):
            note("blocking connect + close", blocking_connect_us(port, args.count))
            for name, new_loop in loops().items():
                note(f"{name}: idle loop wakeup (timer every 10 ms)", idle_wakeup_us(new_loop, 1))
                for label, body in (
                    ("non-blocking connect + writer callback + close", writer_callback_connects),
                    ("loop.sock_connect + close", sock_connects),
                    ("open_connection + wait_closed", stream_connects),
                    ("task of a no-op coroutine", noop_tasks),
                    ("asyncio.timeout block", timeout_blocks),
                ):
                    note(f"{name}: {label}", on_loop_us(new_loop, body, port, args.count))
    summary = {
        name: {
            "median_us": round(statistics.median(values), 2),
            "min_us": round(min(values), 2),
            "max_us": round(max(values), 2),
        }
        for name, values in figures.items()
    }
    if args.json:
        print(json.dumps({"count": args.count, "repeats": args.repeats, "floors": summary}))
        return
    for name, row in summary.items():
        print(f"{row['median_us']:9.2f} us  ({row['min_us']:.2f}..{row['max_us']:.2f})  {name}")


if __name__ == "__main__":
    main()
