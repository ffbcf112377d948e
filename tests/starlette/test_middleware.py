"""DepHealthMiddleware in process: health views, pass-through and lifespan ordering."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from dephealth_core import ConfigError, DependencyHealth
from dephealth_starlette import DepHealthMiddleware, install

from .starlette_support import FakePool, LifespanFailed, Probe, client, lifespan, stub_check


async def home(request: Request) -> Response:
    return PlainTextResponse("home")


def make_engine(registry: CollectorRegistry, *deps: Any) -> DependencyHealth:
    return DependencyHealth("svc", "team", *deps, registry=registry)


def make_app(engine: DependencyHealth | None = None, **options: Any) -> Starlette:
    app = Starlette(routes=[Route("/", home)])
    app.add_middleware(DepHealthMiddleware, dephealth=engine, **options)
    return app


async def test_readyz_turns_ready_once_checks_ran(registry: CollectorRegistry) -> None:
    """/readyz answers 503 before startup and 200 once the lifespan started the checks."""
    engine = make_engine(registry, stub_check("db", Probe()))
    app = make_app(engine)
    async with client(app) as http:
        before = await http.get("/readyz")
        async with lifespan(app):
            await engine.check_now()
            after = await http.get("/readyz")
            assert engine.running
    assert before.status_code == 503
    assert after.status_code == 200
    assert after.text == "ok\n"
    assert after.headers["cache-control"] == "no-store"
    assert not engine.running


async def test_readyz_fails_when_critical_dependency_down(registry: CollectorRegistry) -> None:
    """A failing critical dependency turns /readyz 503 and ?verbose names it."""
    probe = Probe(healthy=False)
    engine = make_engine(registry, stub_check("db", probe))
    app = make_app(engine)
    async with lifespan(app), client(app) as http:
        await engine.check_now()
        response = await http.get("/readyz?verbose")
        dependencies = await http.get("/health/dependencies")
    assert response.status_code == 503
    assert "[-]db failed: unhealthy" in response.text
    assert dependencies.status_code == 503
    assert dependencies.json() == {"status": "degraded", "dependencies": {"db": False}}


async def test_head_answers_without_body(registry: CollectorRegistry) -> None:
    """HEAD /readyz gives the status and headers of GET with an empty body."""
    engine = make_engine(registry, stub_check("db", Probe()))
    app = make_app(engine)
    async with lifespan(app), client(app) as http:
        await engine.check_now()
        response = await http.head("/readyz")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == "3"


async def test_other_methods_are_refused(registry: CollectorRegistry) -> None:
    """POST to a health path answers 405 with an Allow header."""
    app = make_app(make_engine(registry, stub_check("db", Probe())))
    async with client(app) as http:
        response = await http.post("/livez")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


async def test_prefix_paths_and_metrics(registry: CollectorRegistry) -> None:
    """Prefix, a moved view, a disabled view and /metrics are served as configured."""
    engine = make_engine(registry, stub_check("db", Probe()))
    app = make_app(engine, prefix="/ops", paths={"readyz": "/ready", "livez": None}, metrics=True)
    async with lifespan(app), client(app) as http:
        await engine.check_now()
        ready = await http.get("/ops/ready")
        livez = await http.get("/ops/livez")
        bare = await http.get("/readyz")
        metrics = await http.get("/ops/metrics")
    assert ready.status_code == 200
    assert livez.status_code == 404
    assert bare.status_code == 404
    assert metrics.status_code == 200
    assert "app_dependency_health{" in metrics.text
    assert 'dependency="db"' in metrics.text


async def test_root_path_is_stripped(registry: CollectorRegistry) -> None:
    """Behind a proxy prefix (root_path) the probe path still matches."""
    engine = make_engine(registry, stub_check("db", Probe()))
    app = make_app(engine)
    async with lifespan(app), client(app, root_path="/api") as http:
        await engine.check_now()
        response = await http.get("/api/readyz")
    assert response.status_code == 200


async def test_details_need_the_token(registry: CollectorRegistry) -> None:
    """/health/details answers 401 without the bearer token and the JSON with it."""
    engine = make_engine(registry, stub_check("db", Probe()))
    app = make_app(engine, show_details="token", details_token="s3cret")
    async with lifespan(app), client(app) as http:
        await engine.check_now()
        denied = await http.get("/health/details")
        allowed = await http.get("/health/details", headers={"Authorization": "Bearer s3cret"})
    assert denied.status_code == 401
    assert "s3cret" not in denied.text
    assert allowed.status_code == 200
    assert allowed.json()["db:stub.test:9"]["healthy"] is True


async def test_details_callable_gets_the_starlette_request(registry: CollectorRegistry) -> None:
    """A show_details callable decides with the app's own Request (here: a header)."""
    engine = make_engine(registry, stub_check("db", Probe()))

    def is_admin(request: Request) -> bool:
        return request.headers.get("x-role") == "admin"

    app = make_app(engine, show_details=is_admin)
    async with lifespan(app), client(app) as http:
        await engine.check_now()
        denied = await http.get("/health/details")
        allowed = await http.get("/health/details", headers={"x-role": "admin"})
    assert denied.status_code == 403
    assert allowed.status_code == 200


def test_bad_options_fail_at_construction() -> None:
    """A malformed prefix is a ConfigError when the middleware is built, engine or not."""
    with pytest.raises(ConfigError, match="prefix"):
        DepHealthMiddleware(Starlette(), prefix="ops/")


async def test_other_requests_pass_through(registry: CollectorRegistry) -> None:
    """App routes, streaming bodies, background tasks and context variables are untouched."""
    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id")
    ran: list[str] = []

    async def stream(request: Request) -> Response:
        async def chunks() -> AsyncIterator[bytes]:
            for part in (b"a", b"b", b"c"):
                yield part

        return StreamingResponse(chunks(), background=BackgroundTask(ran.append, "task"))

    async def who(request: Request) -> Response:
        return PlainTextResponse(request_id.get("unset"))

    def set_request_id(app: ASGIApp) -> ASGIApp:
        async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
            request_id.set("r-42")
            await app(scope, receive, send)

        return wrapped

    engine = make_engine(registry, stub_check("db", Probe()))
    app = Starlette(routes=[Route("/", home), Route("/stream", stream), Route("/who", who)])
    app.add_middleware(DepHealthMiddleware, dephealth=engine)
    app.add_middleware(set_request_id)  # outer: its context must reach the endpoint
    async with lifespan(app), client(app) as http:
        root = await http.get("/")
        streamed = await http.get("/stream")
        who_answer = await http.get("/who")
        missing = await http.get("/readyz/extra")
    assert root.text == "home"
    assert streamed.content == b"abc"
    assert ran == ["task"]
    assert who_answer.text == "r-42"
    assert missing.status_code == 404


async def test_websockets_pass_through(registry: CollectorRegistry) -> None:
    """A websocket route behind the middleware still accepts and echoes."""

    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())
        await websocket.close()

    engine = make_engine(registry, stub_check("db", Probe()))
    app = Starlette(routes=[WebSocketRoute("/ws", echo)])
    app.add_middleware(DepHealthMiddleware, dephealth=engine)
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    sent: list[Message] = []
    for message in (
        {"type": "websocket.connect"},
        {"type": "websocket.receive", "text": "ping"},
        {"type": "websocket.disconnect", "code": 1000},
    ):
        inbox.put_nowait(message)
    scope = {
        "type": "websocket",
        "path": "/ws",
        "raw_path": b"/ws",
        "root_path": "",
        "scheme": "ws",
        "query_string": b"",
        "headers": [],
        "subprotocols": [],
        "server": ("test", 80),
        "client": ("test", 1234),
    }

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, inbox.get, send)
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.send", "websocket.close"]
    assert sent[1]["text"] == "ping"


async def test_lazy_pool_resolved_after_app_startup(registry: CollectorRegistry) -> None:
    """A pool=lambda: app.state.pool check sees the pool the app's own lifespan created."""
    probe = Probe()
    pool = FakePool()

    @asynccontextmanager
    async def app_lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.pool = pool
        yield
        del app.state.pool

    app = Starlette(routes=[Route("/", home)], lifespan=app_lifespan)
    install(app, make_engine(registry, stub_check("db", probe, pool=lambda: app.state.pool)))
    async with lifespan(app):
        pass
    assert probe.sources == [pool]


async def test_shutdown_fails_readiness_then_stops_checks_then_runs_app_shutdown(
    registry: CollectorRegistry,
) -> None:
    """At shutdown /readyz is 503 while a check is still in flight; the app's own
    shutdown runs only after the checks stopped."""
    events: list[str] = []
    probe = Probe()
    engine = make_engine(registry, stub_check("db", probe))

    @asynccontextmanager
    async def app_lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        events.append(f"app shutdown, checks running={engine.running}")

    app = Starlette(routes=[Route("/", home)], lifespan=app_lifespan)
    app.add_middleware(DepHealthMiddleware, dephealth=engine)
    async with client(app) as http:
        driver = lifespan(app)
        await driver.__aenter__()
        await engine.check_now()
        assert (await http.get("/readyz")).status_code == 200
        probe.hold, probe.started = asyncio.Event(), asyncio.Event()
        in_flight = asyncio.create_task(engine.check_now())
        await probe.started.wait()
        shutdown = asyncio.create_task(driver.__aexit__(None, None, None))
        while not engine.snapshot.stopping:
            await asyncio.sleep(0)
        readyz = await http.get("/readyz?verbose")
        events.append(f"readyz {readyz.status_code}, check in flight={not in_flight.done()}")
        probe.hold.set()
        await shutdown
        await asyncio.gather(in_flight, return_exceptions=True)
    assert events == [
        "readyz 503, check in flight=True",
        "app shutdown, checks running=False",
    ]
    assert "[-]shutdown in progress" in readyz.text


async def test_finds_instance_in_app_state(registry: CollectorRegistry) -> None:
    """dephealth style: app.state.dephealth set in the app's lifespan is started and served."""
    probe = Probe()

    @asynccontextmanager
    async def app_lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.dephealth = make_engine(registry, stub_check("db", probe))
        yield

    app = Starlette(routes=[Route("/", home)], lifespan=app_lifespan)
    app.add_middleware(DepHealthMiddleware)
    async with lifespan(app), client(app) as http:
        engine = app.state.dephealth
        await engine.check_now()
        assert engine.running
        response = await http.get("/health/dependencies")
    assert response.json() == {"status": "healthy", "dependencies": {"db": True}}
    assert not engine.running


async def test_finds_instance_in_lifespan_state(registry: CollectorRegistry) -> None:
    """A lifespan that yields {"dephealth": dh} (and starts it itself) works too."""
    engine = make_engine(registry, stub_check("db", Probe()))

    @asynccontextmanager
    async def app_lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        await engine.start()
        yield {"dephealth": engine}
        await engine.stop()

    app = Starlette(routes=[Route("/", home)], lifespan=app_lifespan)
    app.add_middleware(DepHealthMiddleware)
    async with lifespan(app), client(app) as http:
        await engine.check_now()
        response = await http.get("/readyz")
    assert response.status_code == 200
    assert not engine.running


async def test_missing_instance_fails_startup(registry: CollectorRegistry) -> None:
    """With no instance anywhere, startup fails with a message saying what to do."""
    app = make_app()
    with pytest.raises(LifespanFailed, match=r"app\.state\.dephealth"):
        async with lifespan(app):
            pass


async def test_unsupported_lazy_pool_fails_startup_and_runs_app_shutdown(
    registry: CollectorRegistry,
) -> None:
    """A lazy pool that cannot be checked fails startup; the app still closes its pools."""
    closed: list[bool] = []

    @asynccontextmanager
    async def app_lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            closed.append(True)

    app = Starlette(routes=[Route("/", home)], lifespan=app_lifespan)
    install(app, make_engine(registry, stub_check("db", Probe(), pool=lambda: object())))
    with pytest.raises(LifespanFailed, match="unsupported pool type object"):
        async with lifespan(app):
            pass
    assert closed == [True]


async def test_serves_without_lifespan_when_state_is_set(registry: CollectorRegistry) -> None:
    """Without a lifespan run, an instance at app.state.dephealth is still served."""
    engine = make_engine(registry, stub_check("db", Probe()))
    app = make_app()
    app.state.dephealth = engine
    async with client(app) as http:
        response = await http.get("/readyz?verbose")
    assert response.status_code == 503
    assert "checks not running" in response.text
