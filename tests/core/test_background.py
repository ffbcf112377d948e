"""The background runner: one loop in one daemon thread."""

from __future__ import annotations

import concurrent.futures

from dephealth_core._background import BackgroundRunner


def test_shutdown_from_its_own_thread_stops_without_joining_itself() -> None:
    """Exit hooks may run on the checker thread (uwsgi): shutdown there stops the loop, no error."""
    runner = BackgroundRunner()
    done: concurrent.futures.Future[None] = concurrent.futures.Future()

    def from_the_loop() -> None:
        try:
            runner.shutdown(timeout=1.0)
            done.set_result(None)
        except BaseException as exc:
            done.set_exception(exc)

    runner.loop.call_soon_threadsafe(from_the_loop)
    done.result(timeout=30)
    runner.thread.join(30)
    assert not runner.alive
