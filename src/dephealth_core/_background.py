"""The background runner: one daemon thread per process with its own event loop.

Sync apps (Flask, Django under WSGI) start their engines here. The runner is created lazily
and shared by every engine of the process; its loop is uvloop's when uvloop is installed (the
``uvloop`` extra: a cheaper loop for the checks), asyncio's otherwise. It knows the engines it
runs only as :class:`~dephealth_core.typing.BackgroundService`: at interpreter exit they are
stopped and the thread joined, bounded. In a forked child :mod:`._fork` drops the parent's
runner and starts the tracked engines again.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import logging
import threading
import weakref
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from ._exceptions import StateError

if TYPE_CHECKING:
    from ._protocols import BackgroundService

logger = logging.getLogger("dephealth")
T = TypeVar("T")

_tracked: weakref.WeakSet[BackgroundService] = weakref.WeakSet()


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A new uvloop event loop when uvloop is installed, an asyncio one otherwise."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class BackgroundRunner:
    """An event loop running in one daemon thread."""

    _instance: ClassVar[BackgroundRunner | None] = None
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        self.loop = new_event_loop()
        self._ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name="dephealth-checker", daemon=True)
        self.thread.start()
        self._ready.wait()

    @classmethod
    def get(cls) -> BackgroundRunner:
        """The process's runner, started on first use (and anew after a fork)."""
        instance = cls._instance
        if instance is not None and instance.alive:
            return instance
        with cls._lock:
            instance = cls._instance
            if instance is None or not instance.alive:
                instance = cls._instance = cls()
            return instance

    @property
    def alive(self) -> bool:
        """True while the thread runs its loop."""
        return self.thread.is_alive() and not self.loop.is_closed()

    @classmethod
    def forget_after_fork(cls) -> None:
        """In a forked child: the parent's thread is gone; the next ``get()`` starts anew."""
        cls._instance = None
        cls._lock = threading.Lock()

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
        if not self.alive:
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        if threading.current_thread() is self.thread:
            return  # uwsgi runs the exit hooks in whichever thread took its stop signal
        self.thread.join(timeout)
        if self.thread.is_alive():
            logger.warning("dephealth: checker thread did not stop within %.1fs", timeout)


def track_background(service: BackgroundService) -> None:
    """Remember a service started in the background (restarted after a fork, stopped at exit)."""
    _tracked.add(service)


def untrack_background(service: BackgroundService) -> None:
    """Forget a service stopped by its owner."""
    _tracked.discard(service)


def tracked_services() -> list[BackgroundService]:
    """The services running in the background now."""
    return list(_tracked)


def _stop_at_exit() -> None:
    for service in list(_tracked):
        try:
            service.stop_background(timeout=3.0)
        except Exception:
            pass
    runner = BackgroundRunner._instance
    if runner is not None:
        runner.shutdown(timeout=3.0)


# threading's exit hooks run before non-daemon threads are joined and before atexit: stopping
# there keeps a check in flight from holding the interpreter open.
_register_thread_exit = getattr(threading, "_register_atexit", None)
if _register_thread_exit is not None:
    _register_thread_exit(_stop_at_exit)
else:
    atexit.register(_stop_at_exit)
