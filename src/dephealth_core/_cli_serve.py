"""``dephealth serve``: continuous checks behind the health views, on uvicorn.

The engine and the server share one event loop. The signals are ours, not uvicorn's (uvicorn
re-raises a captured SIGTERM after its shutdown, which would end the process with 143):

- SIGTERM, SIGINT: stop the checks (``/readyz`` answers 503 from the first moment), keep
  answering for ``--shutdown-delay`` seconds, then stop the server and exit 0. A second signal
  cuts the delay short.
- SIGHUP: build a new engine from the file; if that fails, log why and keep the running one.
  Otherwise apply the difference to the running engine: removed dependencies go, added ones
  start, changed ones are replaced, unchanged ones keep their state and series. A change of
  the service name, group or a global default cannot be laid over running checks: the new
  engine then takes over whole (every series starts afresh).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Generator, Mapping
from typing import TYPE_CHECKING, Any

import uvicorn

from ._asgi import HealthApp
from ._cli_engine import EXIT_BAD_CONFIG, EXIT_NOT_READY, EXIT_READY, config_problem, load_engine
from ._exceptions import ConfigError
from ._views import HealthViews

if TYPE_CHECKING:
    from ._dependency import Dependency
    from ._engine import DependencyHealth

logger = logging.getLogger("dephealth")


def run_serve(args: argparse.Namespace) -> int:
    """``dephealth serve``."""
    sidecar = Sidecar(args.config, prefix=args.prefix, show_details=args.show_details)
    try:
        sidecar.load()
    except (ConfigError, ImportError) as exc:
        print(config_problem(exc), file=sys.stderr)
        return EXIT_BAD_CONFIG
    return asyncio.run(sidecar.serve(args.host, args.port, shutdown_delay=args.shutdown_delay))


def fingerprint(dependency: Dependency) -> tuple[Any, ...]:
    """What makes two declarations of a dependency check the same thing the same way."""
    return (
        dependency.type,
        dependency.critical,
        dependency.url,
        dependency.host,
        dependency.port,
        dependency.interval,
        dependency.timeout,
        dependency.initial_delay,
        dependency.failure_threshold,
        dependency.success_threshold,
        dict(dependency.labels or {}),
        dict(dependency.options),
    )


class Sidecar:
    """One engine from a configuration file, its views, and the ASGI app serving them."""

    def __init__(self, config: str | None, *, prefix: str, show_details: str) -> None:
        self.config = config
        self.prefix = prefix
        self.show_details = show_details
        self._reloading = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()
        self._cut_short = asyncio.Event()
        self._engine: DependencyHealth | None = None
        self._app: HealthApp | None = None

    @property
    def engine(self) -> DependencyHealth:
        assert self._engine is not None, "load() first"
        return self._engine

    @property
    def app(self) -> HealthApp:
        assert self._app is not None, "load() first"
        return self._app

    def load(self) -> None:
        """Build the engine and the app; raises ``ConfigError`` (or ``ImportError``)."""
        engine = load_engine(self.config, metrics=True)
        self._engine = engine
        self._app = HealthApp(engine, self._views(engine))

    def _views(self, engine: DependencyHealth) -> HealthViews:
        return HealthViews(
            engine,
            prefix=self.prefix,
            show_details=self.show_details,
            metrics=True,
            registry=engine.registry,
        )

    async def serve(self, host: str, port: int, *, shutdown_delay: float = 0.0) -> int:
        """Check and serve until SIGTERM or SIGINT; the exit status."""
        config = uvicorn.Config(
            self.app,
            host=host,
            port=port,
            lifespan="off",
            access_log=False,
            log_config=None,
            timeout_graceful_shutdown=5,
        )
        server = _Server(config)
        loop = asyncio.get_running_loop()
        await self.engine.start()
        loop.add_signal_handler(signal.SIGTERM, self._on_stop_signal, server, shutdown_delay)
        loop.add_signal_handler(signal.SIGINT, self._on_stop_signal, server, shutdown_delay)
        loop.add_signal_handler(signal.SIGHUP, self._spawn_reload)
        try:
            await server.serve()
        except SystemExit:  # uvicorn's answer to a port it cannot bind, after logging why
            return EXIT_NOT_READY
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(sig)
            await self.engine.stop()
            for task in list(self._tasks):
                task.cancel()
        logger.info("dephealth: serve stopped")
        return EXIT_READY if server.started else EXIT_NOT_READY

    def _on_stop_signal(self, server: _Server, delay: float) -> None:
        if self._stopping.is_set():
            self._cut_short.set()
            server.should_exit = True
            return
        self._stopping.set()
        logger.info("dephealth: stop signal: readiness off, stopping the checks")
        self._keep(self._drain(server, delay))

    async def _drain(self, server: _Server, delay: float) -> None:
        async with self._reloading:
            await self.engine.stop()
        if delay > 0:
            logger.info("dephealth: answering %.1fs more before exiting", delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._cut_short.wait(), delay)
        server.should_exit = True

    def _spawn_reload(self) -> None:
        if not self._stopping.is_set():
            self._keep(self.reload())

    def _keep(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def reload(self) -> None:
        """Read the configuration again and apply it (see the module docstring)."""
        async with self._reloading:
            if self._stopping.is_set():
                return
            try:
                candidate = load_engine(self.config, metrics=True)
            except (ConfigError, ImportError) as exc:
                logger.error("dephealth: reload failed, the running configuration stays: %s", exc)
                return
            current = self.engine
            if (candidate.name, candidate.group, candidate.defaults) != (
                current.name,
                current.group,
                current.defaults,
            ):
                await candidate.start()
                self._engine = candidate
                self.app.swap(candidate, self._views(candidate))
                await current.stop()
                logger.info(
                    "dephealth: reloaded: service name, group or global defaults changed, "
                    "every check restarted (dependencies=%d)",
                    len(candidate.dependencies),
                )
                return
            summary = apply_difference(current, candidate.dependencies)
            logger.info("dephealth: reloaded: %s", summary)


def apply_difference(engine: DependencyHealth, wanted: tuple[Dependency, ...]) -> str:
    """Make ``engine`` check ``wanted``, touching only what changed; a summary line."""
    running: Mapping[str, Dependency] = {dep.name: dep for dep in engine.dependencies}
    target = {dep.name: dep for dep in wanted}
    removed = [name for name in running if name not in target]
    added = [name for name in target if name not in running]
    changed = [
        name
        for name in target
        if name in running and fingerprint(running[name]) != fingerprint(target[name])
    ]
    for name in removed:
        engine.remove_dependency(name)
    for name in changed:
        engine.replace_dependency(target[name])
    for name in added:
        engine.add_dependency(target[name])
    unchanged = len(target) - len(added) - len(changed)
    return (
        f"added={','.join(added) or '-'} removed={','.join(removed) or '-'} "
        f"changed={','.join(changed) or '-'} unchanged={unchanged}"
    )


class _Server(uvicorn.Server):
    """uvicorn's server without its own signal handling: ``serve`` installs its handlers."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield
