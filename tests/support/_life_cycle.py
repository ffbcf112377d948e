"""``LifeCycle``: ``restart()``, ``stopped()`` and ``with`` use, from a server's start and stop.

Shared by the private servers (``ManagedServer``, a child process) and the in-process stubs
(``StubServer``): each says how to ``start()`` and ``stop()`` on the same port, and ``close()``
when closing is more than stopping.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import TracebackType
from typing import Self

__all__ = ["LifeCycle"]


class LifeCycle:
    """``with server:`` starts and closes; ``with server.stopped():`` stops, then starts again."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Stop and release everything; by default the same as ``stop()``."""
        self.stop()

    def restart(self) -> Self:
        """Stop, then start again on the same port."""
        self.stop()
        return self.start()

    @contextlib.contextmanager
    def stopped(self) -> Iterator[None]:
        """Keep the server stopped inside the block; it is started again even if the block fails."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
