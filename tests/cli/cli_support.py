"""Running the installed ``dephealth`` console script as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Self

import httpx

from tests.support._process import poll_until
from tests.support.app_servers import AppServer

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


def write_config(path: Path, body: str, *, name: str = "orders", group: str = "shop") -> Path:
    """Write a TOML configuration with the service name and group on top of ``body``."""
    path.write_text(f'name = "{name}"\ngroup = "{group}"\n{body}')
    return path


class ServeProcess(AppServer):
    """``dephealth serve`` in a child process, its output in a file beside the configuration.

    ``with ServeProcess(...) as serve:`` launches it without waiting (the test waits for the
    answers it expects) and kills what is left at the end.
    """

    name = "serve"

    def __init__(self, config: Path, *args: str, env: dict[str, str] | None = None) -> None:
        super().__init__(
            lambda port: [DEPHEALTH, "serve", "--config", str(config), "--port", str(port), *args],
            log_dir=config.parent,
            startup_timeout=DEADLINE,
        )
        self.env = cli_env() if env is None else dict(env)

    def __enter__(self) -> Self:
        return self.launch()

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def log(self) -> str:
        return self.output()

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
            assert self.running, f"serve exited early:\n{self.log()}"
            response = self.get(path)
            if response is not None and condition(response):
                seen.append(response)
                return True
            return False

        poll_until(check, DEADLINE, what)
        return seen[0]
