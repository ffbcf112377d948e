"""Fork handling in one place: a forked child resets every engine, then runs the callbacks."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from dephealth_core import DependencyHealth, register_after_fork
from dephealth_core.testing import ManualChecker, manual_check

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def in_child(report: Any) -> dict[str, Any]:
    """Fork; the child writes ``report()`` as JSON to a pipe and exits; return what it wrote."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        try:
            os.write(write, json.dumps(report()).encode())
        finally:
            os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    return dict(json.loads(b"".join(chunks)))


def test_child_resets_a_running_engine_then_runs_the_callbacks() -> None:
    """In the child the parent's running engine is new again; callbacks see it reset."""
    dh = DependencyHealth(
        "svc", "team", manual_check("db", ManualChecker(), critical=True), metrics=False
    )
    dh.start_background()
    seen: list[str] = []
    unregister = register_after_fork(lambda: seen.append(str(dh.running)))
    try:
        assert dh.running
        child = in_child(
            lambda: {
                "callbacks": seen,
                "runners": len(dh._scheduler.runners),
                "snapshot_running": dh.snapshot.running,
                "running": dh.running,
            }
        )
    finally:
        unregister()
        dh.stop_background()
    # Started in the background, the engine starts again in the child before the callbacks.
    assert child["callbacks"] == ["True"]
    assert child["runners"] == 1
    assert child["snapshot_running"] is True
    assert not dh.running and seen == []


def test_child_forgets_an_engine_started_on_the_parents_loop() -> None:
    """An engine the parent ran on its own loop is reset, not restarted, in the child."""
    import asyncio

    dh = DependencyHealth(
        "svc", "team", manual_check("db", ManualChecker(), critical=True), metrics=False
    )
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(dh.start())
        child = in_child(
            lambda: {
                "running": dh.running,
                "runners": len(dh._scheduler.runners),
                "endpoints": len(dh.snapshot.endpoints),
            }
        )
        loop.run_until_complete(dh.stop())
    finally:
        loop.close()
    assert child == {"running": False, "runners": 0, "endpoints": 0}


def test_an_unregistered_callback_does_not_run() -> None:
    """register_after_fork returns a function that takes the callback back."""
    calls: list[int] = []
    unregister = register_after_fork(lambda: calls.append(1))
    unregister()
    assert in_child(lambda: {"calls": calls}) == {"calls": []}
