"""Running the installed ``dephealth`` console script as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

#: The console script installed beside the interpreter running the tests.
DEPHEALTH = str(Path(sys.executable).with_name("dephealth"))
#: Deadline of a command that should end by itself (generous: the machine may be loaded).
DEADLINE = 90.0


def cli_env(**extra: str) -> dict[str, str]:
    """The test process's environment without any ``DEPHEALTH_*`` variable, plus ``extra``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DEPHEALTH_")}
    env.update(extra)
    return env


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``dephealth ARGS`` to its end and capture stdout and stderr."""
    return subprocess.run(
        [DEPHEALTH, *args],
        env=cli_env() if env is None else env,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=False,
    )


def wait_for(condition: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
    """Poll ``condition`` until it holds; ``AssertionError`` naming ``what`` if it never does."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not seen within {timeout:g}s")
        time.sleep(0.05)


def write_config(path: Path, body: str, *, name: str = "orders", group: str = "shop") -> Path:
    """Write a TOML configuration with the service name and group on top of ``body``."""
    path.write_text(f'name = "{name}"\ngroup = "{group}"\n{body}')
    return path


class ServeProcess:
    """``dephealth serve`` in a subprocess, its stderr in a file; ``with`` kills what is left."""

    def __init__(self, config: Path, *args: str, env: dict[str, str] | None = None) -> None:
        from tests.support.ports import free_port

        self.port = free_port()
        self.log_path = config.with_suffix(".log")
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [DEPHEALTH, "serve", "--config", str(config), "--port", str(self.port), *args],
            env=cli_env() if env is None else env,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            text=True,
        )

    def __enter__(self) -> ServeProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=DEADLINE)
        self._log.close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def log(self) -> str:
        return self.log_path.read_text()

    def get(self, path: str) -> httpx.Response | None:
        """GET ``path``; ``None`` while nothing listens."""
        try:
            return httpx.get(self.url(path), timeout=10.0)
        except httpx.TransportError:
            return None

    def wait_answer(
        self, path: str, condition: Callable[[httpx.Response], bool], what: str
    ) -> httpx.Response:
        """Poll ``path`` until its answer meets ``condition``; that answer."""
        seen: list[httpx.Response] = []

        def check() -> bool:
            assert self.process.poll() is None, f"serve exited early:\n{self.log()}"
            response = self.get(path)
            if response is not None and condition(response):
                seen.append(response)
                return True
            return False

        wait_for(check, what)
        return seen[0]

    def send(self, sig: int) -> None:
        self.process.send_signal(sig)

    def wait_exit(self) -> int:
        return self.process.wait(timeout=DEADLINE)
