"""The background runner's loop: uvloop's when uvloop is installed, asyncio's otherwise."""

from __future__ import annotations

import asyncio
import importlib.util

import pytest

from dephealth_core._background import new_event_loop


def test_uvloop_runs_the_background_checks_when_installed() -> None:
    """With the uvloop extra the runner's loop is a uvloop loop."""
    if importlib.util.find_spec("uvloop") is None:
        pytest.skip("uvloop is not installed (pip install 'dephealth-suite[uvloop]')")
    loop = new_event_loop()
    try:
        assert type(loop).__module__.split(".")[0] == "uvloop"
    finally:
        loop.close()


def test_asyncio_runs_them_without_uvloop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without uvloop the runner falls back to a plain asyncio loop."""
    import sys

    monkeypatch.setitem(sys.modules, "uvloop", None)
    loop = new_event_loop()
    try:
        assert isinstance(loop, asyncio.BaseEventLoop)
        assert type(loop).__module__.startswith("asyncio")
    finally:
        loop.close()
