"""Starting the apps under test: uvicorn processes, with our Python or the peers' one."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: The Python of the peers' virtualenv (``scripts/bench`` creates it).
PEER_PYTHON = Path(os.environ.get("DH_BENCH_PEER_PYTHON", HERE / ".venv-peers" / "bin" / "python"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Uvicorn:
    """One uvicorn process (1 worker, asyncio loop, h11) serving ``module:app`` from bench/.

    The same server options for every app: the peers' virtualenv has uvloop and httptools,
    which uvicorn would otherwise pick for them alone.
    """

    def __init__(self, python: str, module: str, env: Mapping[str, str]) -> None:
        self.port = free_port()
        full_env = {**os.environ, **env}
        if python != sys.executable:
            full_env.pop("PYTHONPATH", None)  # the peer sees its own packages only
        self.process = subprocess.Popen(
            [
                *(python, "-m", "uvicorn", f"{module}:app", "--app-dir", str(HERE)),
                *("--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"),
                *("--loop", "asyncio", "--http", "h11"),
                *("--no-access-log", "--log-level", "warning"),
            ],
            env=full_env,
        )
        end = time.monotonic() + 30
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn {module} exited with status {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"uvicorn {module} did not start")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
