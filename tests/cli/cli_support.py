"""Running the installed ``dephealth`` console script as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

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
