"""An app under a real uvicorn process, its log, and bounded waiting on what it serves."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 120.0  # generous: a wait ends as soon as its condition holds
LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": "INFO"},
}
T = TypeVar("T")


class Served:
    """A running app: ``get(path)``, its ``log`` and ``warnings_about(path)``."""

    def __init__(self, base_url: str, log: Path, process: subprocess.Popen[bytes]) -> None:
        self.base_url = base_url
        self.log = log
        self.process = process

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.base_url + path, timeout=10.0)

    def request(self, method: str, path: str, body: object = None) -> httpx.Response:
        return httpx.request(method, self.base_url + path, json=body, timeout=10.0)

    def warnings_about(self, path: str) -> list[str]:
        """WARNING lines that name ``path`` itself (not a longer path that starts with it)."""
        pattern = re.compile(re.escape(path) + r"(?![\w/-])")
        return [
            line
            for line in self.log.read_text().splitlines()
            if line.startswith("WARNING") and pattern.search(line)
        ]


def wait_until(probe: Callable[[], T | None], what: str, deadline: float = DEADLINE) -> T:
    """Call ``probe`` until it returns something other than None/False; fail at the deadline."""
    end = time.monotonic() + deadline
    while True:
        try:
            result = probe()
        except httpx.TransportError:
            result = None
        if result is not None and result is not False:
            return result
        if time.monotonic() > end:
            pytest.fail(f"never happened within {deadline:.0f} s: {what}")
        time.sleep(0.2)


def service_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = {**os.environ, **extra}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return env


@contextmanager
def uvicorn(
    app: str,
    env: Mapping[str, str],
    workdir: Path,
    *,
    python: str = sys.executable,
    ready_path: str = "/metrics",
) -> Iterator[Served]:
    """Run ``app`` ("module:attr") under uvicorn on a free loopback port until the block ends."""
    port = free_port()
    log_config = workdir / "logging.json"
    log_config.write_text(json.dumps(LOG_CONFIG))
    log = workdir / "app.log"
    command = [
        python,
        *("-m", "uvicorn", app),
        *("--host", "127.0.0.1", "--port", str(port)),
        *("--log-config", str(log_config)),
    ]
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command, cwd=ROOT, env=service_env(env), stdout=log_file, stderr=subprocess.STDOUT
        )
    served = Served(f"http://127.0.0.1:{port}", log, process)
    try:

        def up() -> bool:
            if process.poll() is not None:
                pytest.fail(f"{app} exited:\n{log.read_text()}")
            return served.get(ready_path).status_code < 500

        wait_until(up, f"{app} answering {ready_path}")
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
