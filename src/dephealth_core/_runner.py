"""The background runner: one daemon thread per process with its own event loop.

Sync apps (Flask, Django under WSGI) start their engines here. The runner is created lazily,
shared by every engine of the process, and re-created in a forked child (gunicorn
``--preload``, uwsgi), where engines that were running in the parent start again by
themselves. At interpreter exit the engines are stopped and the thread joined, bounded.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import logging
import os
import threading
import weakref
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from ._exceptions import StateError

if TYPE_CHECKING:
    from ._engine import DependencyHealth

logger = logging.getLogger("dephealth")
T = TypeVar("T")

_tracked: weakref.WeakSet[DependencyHealth] = weakref.WeakSet()


class BackgroundRunner:
    """An event loop running in one daemon thread."""

    _instance: ClassVar[BackgroundRunner | None] = None
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name="dephealth-checker", daemon=True)
        self.thread.start()
        self._ready.wait()

    @classmethod
    def get(cls) -> BackgroundRunner:
        """The process's runner, started on first use (and anew after a fork)."""
        instance = cls._instance
        if instance is not None and instance.pid == os.getpid() and instance.alive:
            return instance
        with cls._lock:
            instance = cls._instance
            if instance is None or instance.pid != os.getpid() or not instance.alive:
                instance = cls._instance = cls()
            return instance

    @property
    def alive(self) -> bool:
        """True while the thread runs its loop."""
        return self.thread.is_alive() and not self.loop.is_closed()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._ready.set)
        try:
            self.loop.run_forever()
        finally:
            try:
                pending = asyncio.all_tasks(self.loop)
                for task in pending:
                    task.cancel()
                if pending:
                    self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            finally:
                self.loop.close()

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule ``coro`` on the runner's loop from any other thread."""
        if threading.current_thread() is self.thread:
            coro.close()
            raise StateError("cannot wait on the checker loop from the checker thread")
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run ``coro`` on the runner's loop and wait (bounded) for its result."""
        future = self.submit(coro)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise StateError(f"the checker loop did not answer within {timeout:g}s") from None

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop the loop and join the thread (bounded)."""
        if not self.alive or self.pid != os.getpid():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout)
        if self.thread.is_alive():
            logger.warning("dephealth: checker thread did not stop within %.1fs", timeout)


def track_background(engine: DependencyHealth) -> None:
    """Remember an engine started in the background (for fork and exit handling)."""
    _tracked.add(engine)


def untrack_background(engine: DependencyHealth) -> None:
    """Forget an engine stopped by its owner."""
    _tracked.discard(engine)


def _after_fork_in_child() -> None:
    BackgroundRunner._instance = None
    BackgroundRunner._lock = threading.Lock()
    engines = list(_tracked)
    for engine in engines:
        engine._after_fork_in_child()
    for engine in engines:
        try:
            engine.start_background()
        except Exception as exc:
            logger.error(
                "dephealth: restarting checks after fork failed name=%s error=%s",
                engine.name,
                type(exc).__name__,
            )


def _stop_at_exit() -> None:
    for engine in list(_tracked):
        try:
            engine.stop_background(timeout=3.0)
        except Exception:
            pass
    runner = BackgroundRunner._instance
    if runner is not None:
        runner.shutdown(timeout=3.0)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
# threading's exit hooks run before non-daemon threads are joined and before atexit: stopping
# there keeps a check in flight from holding the interpreter open.
_register_thread_exit = getattr(threading, "_register_atexit", None)
if _register_thread_exit is not None:
    _register_thread_exit(_stop_at_exit)
else:
    atexit.register(_stop_at_exit)
