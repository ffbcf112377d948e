"""One dedicated thread per checked alias.

Django keeps database connections (and cache clients) per thread. Running every check of an
alias in the same single thread therefore gives that alias exactly one ``DatabaseWrapper``
(or cache object) in the checker, which holds at most one connection, whatever the engine's
thread pool or the web server's threads do.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class AliasThread:
    """A single worker thread, created on first use and again after a fork."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._executor: ThreadPoolExecutor | None = None
        self._pid = os.getpid()

    def _get(self) -> ThreadPoolExecutor:
        if self._executor is None or self._pid != os.getpid():
            # After a fork the parent's worker thread does not exist in the child.
            self._pid = os.getpid()
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self.name)
        return self._executor

    async def run(self, function: Callable[[], T]) -> T:
        """Run ``function`` in the thread; a cancelled wait leaves it to finish there."""
        return await asyncio.get_running_loop().run_in_executor(self._get(), function)

    @property
    def started(self) -> bool:
        """True once the thread exists in this process."""
        return self._executor is not None and self._pid == os.getpid()

    def call(self, function: Callable[[], T], timeout: float) -> T:
        """Run ``function`` in the thread from a thread with no event loop (bounded)."""
        return self._get().submit(function).result(timeout)

    def shutdown(self) -> None:
        """Let the thread end once its queued work is done."""
        executor, self._executor = self._executor, None
        if executor is not None and self._pid == os.getpid():
            executor.shutdown(wait=False, cancel_futures=True)
