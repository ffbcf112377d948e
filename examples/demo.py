"""A self-contained tour of dephealth-suite: stub dependencies, live checks, health endpoints.

Run it with ``scripts/demo`` (or ``python examples/demo.py``). It starts three stub
dependencies in this process (a TCP server, an HTTP server answering 200 on ``/health`` and a
gRPC health server), adds the local PostgreSQL and Redis when they are reachable, checks all
of them every second, and serves the health endpoints and ``/metrics`` on 127.0.0.1. A few
seconds in it stops the HTTP stub, then brings it back, so the transitions show in the log
and in ``/readyz?verbose``. Ctrl-C stops it; ``--duration SECONDS`` stops it by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from urllib.parse import urlsplit

import grpc
import httpx
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from prometheus_client import CollectorRegistry

from dephealth_core import (
    DependencyHealth,
    HealthViews,
    StateChange,
    grpc_check,
    http_check,
    tcp_check,
)

LOCALHOST = "127.0.0.1"
FIRST_OUTAGE_AFTER = 4.0
OUTAGE_LENGTH = 4.0
TIME_BETWEEN_OUTAGES = 20.0


class TcpStub:
    """A TCP server that accepts connections and closes them at once; it can be stopped."""

    def __init__(self) -> None:
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, LOCALHOST, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()


class HttpStub(TcpStub):
    """An HTTP server answering 200 on ``/health`` and 404 elsewhere."""

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1] if head.count(b" ") >= 2 else b""
            status = b"200 OK" if path == b"/health" else b"404 Not Found"
            writer.write(
                b"HTTP/1.1 " + status + b"\r\ncontent-length: 3\r\nconnection: close\r\n\r\nok\n"
            )
            await writer.drain()
        writer.close()


def start_grpc_stub() -> tuple[grpc.Server, int]:
    """A gRPC server whose standard health service reports SERVING."""
    server = grpc.server(ThreadPoolExecutor(max_workers=2))
    servicer = health.HealthServicer()
    servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port(f"{LOCALHOST}:0")
    server.start()
    return server, port


async def reachable(port: int) -> bool:
    """Whether something listens on ``127.0.0.1:port``."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(LOCALHOST, port), 0.5)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True


class ViewServer:
    """A minimal HTTP/1.1 server that routes the health paths to :class:`HealthViews`."""

    def __init__(self, views: HealthViews) -> None:
        self.views = views

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(
            ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError
        ):
            request_line = (await reader.readuntil(b"\r\n")).decode("latin-1").split()
            headers: dict[str, str] = {}
            while (line := await reader.readuntil(b"\r\n")) != b"\r\n" and len(headers) < 100:
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            if len(request_line) != 3:
                await self._write(writer, 400, (), b"bad request\n", head=False)
                return
            method, target, _ = request_line
            url = urlsplit(target)
            view = self.views.match(url.path)
            if view is None:
                body = "".join(f"{path}\n" for path in self.views.paths.values()).encode()
                status = 200 if url.path == "/" else 404
                await self._write(writer, status, (), body, head=method == "HEAD")
                return
            response = self.views.handle(view, method=method, query=url.query, headers=headers)
            await self._write(
                writer, response.status, response.headers, response.body, head=method == "HEAD"
            )
        writer.close()

    @staticmethod
    async def _write(
        writer: asyncio.StreamWriter,
        status: int,
        headers: tuple[tuple[str, str], ...],
        body: bytes,
        *,
        head: bool,
    ) -> None:
        if not headers:
            headers = (("content-type", "text/plain; charset=utf-8"),)
        lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}"]
        lines += [f"{name}: {value}" for name, value in headers if name != "content-length"]
        lines += [f"content-length: {len(body)}", "connection: close", "", ""]
        writer.write("\r\n".join(lines).encode("latin-1") + (b"" if head else body))
        await writer.drain()


def print_change(change: StateChange) -> None:
    """The ``on_change`` listener: one line per transition."""
    before, after = change.previous, change.current
    print(
        f"demo: transition {change.key}: {before.status} -> {after.status} "
        f"(healthy={after.healthy}, detail={after.detail})",
        flush=True,
    )


async def show_readyz(base: str) -> None:
    """Print what a probe reading ``/readyz?verbose`` sees now."""
    async with httpx.AsyncClient(trust_env=False) as client:
        response = await client.get(f"{base}/readyz?verbose")
    print(f"demo: GET /readyz?verbose -> {response.status_code}", flush=True)
    for line in response.text.splitlines():
        print(f"demo:   {line}", flush=True)


async def outages(stub: HttpStub, base: str) -> None:
    """Stop the HTTP stub now and then, and bring it back a few seconds later."""
    await asyncio.sleep(FIRST_OUTAGE_AFTER)
    while True:
        print(f"demo: stopping the HTTP stub (payment-api, port {stub.port})", flush=True)
        await stub.stop()
        await asyncio.sleep(OUTAGE_LENGTH / 2)
        await show_readyz(base)
        await asyncio.sleep(OUTAGE_LENGTH / 2)
        print(f"demo: starting the HTTP stub again (port {stub.port})", flush=True)
        await stub.start()
        await asyncio.sleep(2.0)
        await show_readyz(base)
        await asyncio.sleep(TIME_BETWEEN_OUTAGES)


async def main(port: int, duration: float | None) -> int:
    tcp_stub, http_stub = TcpStub(), HttpStub()
    await tcp_stub.start()
    await http_stub.start()
    grpc_server, grpc_port = start_grpc_stub()

    dependencies = [
        http_check("payment-api", url=f"http://{LOCALHOST}:{http_stub.port}/health", critical=True),
        tcp_check("ledger", host=LOCALHOST, port=tcp_stub.port, critical=True),
        grpc_check("inventory", url=f"grpc://{LOCALHOST}:{grpc_port}", critical=False),
    ]
    for name, local_port in (("postgres", 5432), ("redis", 6379)):
        if await reachable(local_port):
            dependencies.append(tcp_check(name, host=LOCALHOST, port=local_port, critical=False))

    registry = CollectorRegistry()
    dh = DependencyHealth(
        "demo-service",
        "demo",
        *dependencies,
        check_interval=1.0,
        timeout=0.5,
        registry=registry,
    )
    dh.on_change(print_change)
    views = HealthViews(dh, show_details="always", metrics=True, registry=registry)
    try:
        server = await asyncio.start_server(ViewServer(views).handle, LOCALHOST, port)
    except OSError as exc:
        print(f"demo: cannot listen on {LOCALHOST}:{port} ({exc.strerror}); try --port")
        await tcp_stub.stop()
        await http_stub.stop()
        grpc_server.stop(None)
        return 1
    port = server.sockets[0].getsockname()[1]
    base = f"http://{LOCALHOST}:{port}"

    await dh.start()
    print(f"demo: checking {', '.join(d.name for d in dependencies)}", flush=True)
    print("demo: endpoints (details are shown to everyone in this demo only):")
    for path in views.paths.values():
        print(f"demo:   {base}{path}")
    print(f"demo:   {base}/readyz?verbose", flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    outage_task = asyncio.create_task(outages(http_stub, base))
    try:
        await asyncio.wait_for(stop.wait(), duration)
    except TimeoutError:
        pass
    print("demo: shutting down", flush=True)
    outage_task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await outage_task
    await dh.stop()
    server.close()
    await server.wait_closed()
    await tcp_stub.stop()
    await http_stub.stop()
    await loop.run_in_executor(None, lambda: grpc_server.stop(None).wait())
    return 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000, help="port of the health endpoints")
    parser.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = parse_args(sys.argv[1:])
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    sys.exit(asyncio.run(main(args.port, args.duration)))
