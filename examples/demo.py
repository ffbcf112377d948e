"""A self-contained tour of dephealth-suite: stub dependencies, live checks, health endpoints.

Run it with ``scripts/demo`` (or ``python examples/demo.py``). It is a FastAPI app under
uvicorn on 127.0.0.1. It starts three stub dependencies in this process (a TCP server, an HTTP
server answering 200 on ``/health`` and a gRPC health server); when the local PostgreSQL and
Redis answer, the app opens its own asyncpg pool and redis client and the checks borrow from
them (pool mode). Everything is checked every second; ``DepHealthMiddleware`` serves the health
endpoints and ``/metrics``. A few seconds in the HTTP stub stops, then comes back, so the
transitions show in the log and in ``/readyz?verbose``. Ctrl-C stops it; ``--duration SECONDS``
stops it by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

import asyncpg
import grpc
import httpx
import uvicorn
from fastapi import FastAPI, Request
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from dephealth_core import (
    Dependency,
    DependencyHealth,
    StateChange,
    grpc_check,
    http_check,
    postgres_check,
    redis_check,
    tcp_check,
)
from dephealth_core._views import DEFAULT_PATHS
from dephealth_starlette import DepHealthMiddleware

LOCALHOST = "127.0.0.1"
PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"
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


def build_app(dependencies: list[Dependency], pools: dict[str, object]) -> FastAPI:
    """The demo service: a FastAPI app whose own pools the checks borrow from."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        checks = list(dependencies)
        pg_pool = redis_client = None
        if await reachable(5432):
            pg_pool = await asyncpg.create_pool(PG_URL, min_size=1, max_size=4)
            checks.append(postgres_check("postgres", pool=pg_pool, critical=False))
        if await reachable(6379):
            redis_client = Redis.from_url(REDIS_URL)
            checks.append(redis_check("redis", client=redis_client, critical=False))
        dh = DependencyHealth(
            "demo-service",
            "demo",
            *checks,
            check_interval=1.0,
            timeout=0.5,
            registry=CollectorRegistry(),
        )
        dh.on_change(print_change)
        app.state.dephealth = dh
        pools.update(postgres=pg_pool, redis=redis_client)
        print(f"demo: checking {', '.join(d.name for d in checks)}", flush=True)
        try:
            yield
        finally:
            if pg_pool is not None:
                await pg_pool.close()
            if redis_client is not None:
                await redis_client.aclose()

    app = FastAPI(lifespan=lifespan)
    app.add_middleware(DepHealthMiddleware, metrics=True, show_details="always")

    @app.get("/")
    async def root(request: Request) -> dict[str, object]:
        dh: DependencyHealth = request.app.state.dephealth
        return {"service": "demo-service", "dependencies": dh.health()}

    return app


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
    app = build_app(dependencies, {})
    config = uvicorn.Config(app, host=LOCALHOST, port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    server_task = asyncio.create_task(server.serve())
    # uvicorn tells that it listens only through this flag.
    while not server.started and not server_task.done():  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    if server_task.done():
        print(f"demo: cannot serve on {LOCALHOST}:{port}; try --port", flush=True)
        await tcp_stub.stop()
        await http_stub.stop()
        grpc_server.stop(None)
        return 1
    port = server.servers[0].sockets[0].getsockname()[1]
    base = f"http://{LOCALHOST}:{port}"
    print("demo: a FastAPI app; endpoints (details shown to everyone in this demo only):")
    for path in ("/", *DEFAULT_PATHS.values(), "/readyz?verbose"):
        print(f"demo:   {base}{path}")
    sys.stdout.flush()

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
    server.should_exit = True
    await server_task
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
