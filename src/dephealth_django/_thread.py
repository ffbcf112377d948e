"""One dedicated thread per checked alias.

Django keeps database connections (and cache clients) per thread. Running every check of an
alias in the same single thread therefore gives that alias exactly one ``DatabaseWrapper``
(or cache object) in the checker, which holds at most one connection, whatever the engine's
thread pool or the web server's threads do.

A plain daemon thread rather than a ``ThreadPoolExecutor``: executors refuse new work once
the interpreter starts shutting down, and the core stops the checks from an ``atexit``
handler, which must still be able to close the alias's connection in its own thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
_Work = tuple[Callable[[], Any], concurrent.futures.Future[Any]] | None


class AliasThread:
    """A single worker thread, started on first use (and again after a fork)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._queue: queue.SimpleQueue[_Work] | None = None
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self._lock = threading.Lock()

    @property
    def started(self) -> bool:
        """True once the thread runs in this process."""
        return self._thread is not None and self._pid == os.getpid() and self._thread.is_alive()

    def _submit(self, function: Callable[[], T]) -> concurrent.futures.Future[T]:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        with self._lock:
            if not self.started:
                # After a fork the parent's thread does not exist in the child.
                self._pid = os.getpid()
                self._queue = queue.SimpleQueue()
                self._thread = threading.Thread(
                    target=_work, args=(self._queue,), name=self.name, daemon=True
                )
                self._thread.start()
            assert self._queue is not None
            self._queue.put((function, future))
        return future

    async def run(self, function: Callable[[], T]) -> T:
        """Run ``function`` in the thread; a cancelled wait leaves it to finish there."""
        return await asyncio.wrap_future(self._submit(function))

    def call(self, function: Callable[[], T], timeout: float) -> T:
        """Run ``function`` in the thread from a thread with no event loop (bounded)."""
        return self._submit(function).result(timeout)

    def shutdown(self) -> None:
        """Let the thread end once its queued work is done."""
        with self._lock:
            if self._queue is not None and self._pid == os.getpid():
                self._queue.put(None)
            self._queue = None
            self._thread = None


def _work(work_queue: queue.SimpleQueue[_Work]) -> None:
    while True:
        item = work_queue.get()
        if item is None:
            return
        function, future = item
        if not future.set_running_or_notify_cancel():
            continue  # its waiter gave up (timeout) before it started
        try:
            result = function()
        except BaseException as exc:
            future.set_exception(exc)
        else:
            future.set_result(result)
