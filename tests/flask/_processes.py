"""gunicorn for the end-to-end tests, and plain HTTP requests to it."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tests.support._process import poll_until
from tests.support.ports import free_port, port_is_open

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Answer:
    status: int
    pid: int
    body: bytes
    headers: dict[str, str]


def get(port: int, path: str, headers: Mapping[str, str] | None = None) -> Answer:
    """One GET on a new connection (as a probe does)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=dict(headers or {}))
        response = connection.getresponse()
        body = response.read()
        found = {name.lower(): value for name, value in response.getheaders()}
        return Answer(response.status, int(found.get("x-worker-pid", 0)), body, found)
    finally:
        connection.close()


class Gunicorn:
    """``gunicorn tests.flask.apps.gunicorn_app:app`` with two workers, output in a file."""

    def __init__(
        self,
        *,
        worker_class: str = "sync",
        preload: bool = False,
        env: Mapping[str, str] | None = None,
        workers: int = 2,
        app: str = "tests.flask.apps.gunicorn_app:app",
    ) -> None:
        self.port = free_port()
        self.workers = workers
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in close())
            prefix="dephealth-gunicorn-", suffix=".log"
        )
        command: list[str] = [
            sys.executable, "-m", "gunicorn",
            "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(workers),
            "--worker-class", worker_class,
            "--graceful-timeout", "10",
            "--timeout", "30",
            "--no-control-socket",
        ]  # fmt: skip
        if worker_class == "gthread":
            command += ["--threads", "4"]
        if preload:
            command.append("--preload")
        command.append(app)
        self.command: Sequence[str] = command
        self.env = {**os.environ, **dict(env or {})}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.command, cwd=REPO, env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )
        poll_until(lambda: port_is_open("127.0.0.1", self.port), 20, "gunicorn did not listen")

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM to the master (a graceful stop); the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout)
        self.process = None
        return code

    def close(self) -> None:
        if self.process is not None:
            # SIGTERM first: a SIGKILLed master leaves its workers behind for a while.
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
            self.process = None
        self.log.close()

    def poll_workers(
        self, path: str, accept: Callable[[Answer], bool], timeout: float = 30
    ) -> dict[int, Answer]:
        """Ask until every worker has given an accepted answer; the last answer of each."""
        accepted: dict[int, Answer] = {}
        deadline = time.monotonic() + timeout
        hold = {"X-Test-Hold": "0.05"}
        with ThreadPoolExecutor(4) as pool:
            while len(accepted) < self.workers:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"only workers {sorted(accepted)} answered {path} as expected; "
                        f"log:\n{self.output()}"
                    )
                for answer in pool.map(lambda _: get(self.port, path, hold), range(4)):
                    if accept(answer):
                        accepted[answer.pid] = answer
                    else:
                        accepted.pop(answer.pid, None)
                time.sleep(0.05)
        return accepted
