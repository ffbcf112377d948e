"""Web apps under real servers (gunicorn, uvicorn) in child processes, and requests to them.

``AppServer`` is a :class:`ManagedServer` whose command comes from a function of its port: a
child in a session of its own, with our sources first on ``PYTHONPATH``, its output (stdout and
stderr) in one log the test reads afterwards. ``close()`` kills the child and all its workers.
``served()`` and ``served_together()`` wrap it for a ``with`` block; ``Gunicorn`` adds the
multi-worker polling of the worker tests.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ._process import ManagedServer, poll_until
from .procfs import children_of

__all__ = [
    "ALARMS",
    "REPO",
    "Answer",
    "AppServer",
    "Gunicorn",
    "app_env",
    "get",
    "gunicorn_command",
    "served",
    "served_together",
    "uvicorn_command",
]

REPO = Path(__file__).resolve().parents[2]
#: Text that must never appear in a server's log: tracebacks and asyncio's complaints.
ALARMS = (
    "Traceback",
    "Task was destroyed but it is pending",
    "Task exception was never retrieved",
    "was never awaited",
    "Exception ignored",
    "Event loop is closed",
    "Unclosed",
    # gunicorn: a worker that did not exit within the graceful timeout, or hung.
    "SIGKILL",
    "WORKER TIMEOUT",
)


def app_env(extra: Mapping[str, str] | None = None, app_dir: Path | None = None) -> dict[str, str]:
    """This environment with ``src``, the repository and ``app_dir`` first on ``PYTHONPATH``.

    ``DJANGO_SETTINGS_MODULE`` is dropped (an app names its own); ``extra`` goes on top.
    """
    env = dict(os.environ)
    paths = (str(REPO / "src"), str(REPO), str(app_dir) if app_dir else "", env.get("PYTHONPATH"))
    env["PYTHONPATH"] = os.pathsep.join(part for part in paths if part)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(extra or {})
    return env


def uvicorn_command(
    app: str, port: int, *, workers: int | None = None, log_level: str = "warning"
) -> list[str]:
    """``uvicorn app`` on 127.0.0.1:``port``, a 5 s graceful shutdown."""
    return [
        sys.executable, "-m", "uvicorn", app,
        "--host", "127.0.0.1",
        "--port", str(port),
        *(["--workers", str(workers)] if workers else []),
        "--log-level", log_level,
        "--timeout-graceful-shutdown", "5",
    ]  # fmt: skip


def gunicorn_command(
    app: str,
    port: int,
    *,
    workers: int = 1,
    worker_class: str = "sync",
    preload: bool = False,
    log_level: str | None = "warning",
) -> list[str]:
    """``gunicorn app`` on 127.0.0.1:``port``, a 10 s graceful timeout, no control socket.

    ``log_level=None`` keeps gunicorn's info lines (workers booting, the master shutting down).
    """
    return [
        sys.executable, "-m", "gunicorn",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--worker-class", worker_class,
        *(["--threads", "4"] if worker_class == "gthread" else []),
        "--graceful-timeout", "10",
        "--timeout", "30",
        "--no-control-socket",
        *(["--log-level", log_level] if log_level else []),
        *(["--preload"] if preload else []),
        app,
    ]  # fmt: skip


class AppServer(ManagedServer):
    """``command(port)`` in a child process until it listens; ``close()`` kills its process group.

    Args:
        command: the command line for a port (``uvicorn_command``, ``gunicorn_command``...).
        env: variables on top of :func:`app_env`.
        app_dir: put first on ``PYTHONPATH`` and made the working directory.
        log_dir: where the log goes, to be read after ``close()`` too; by default the
            server's temp dir, deleted by ``close()``.
    """

    name = "app"
    new_session = True

    def __init__(
        self,
        command: Callable[[int], Sequence[str]],
        *,
        env: Mapping[str, str] | None = None,
        app_dir: Path | None = None,
        log_dir: Path | None = None,
        startup_timeout: float = 60.0,
    ) -> None:
        super().__init__(
            startup_timeout=startup_timeout, env=app_env(env, app_dir), cwd=app_dir or REPO
        )
        #: The command line; a test may change it before ``start()``.
        self.command: list[str] = list(command(self.port))
        self._log_dir = log_dir

    @property
    def log_path(self) -> Path:
        if self._log_dir is None:
            return super().log_path
        return self._log_dir / f"{self.name}-{self.port}.log"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        """The main process (gunicorn's master)."""
        if self._proc is None:
            raise RuntimeError(f"{self.name} is not running")
        return self._proc.pid

    def output(self) -> str:
        """What the server wrote so far (stdout and stderr)."""
        try:
            return self.log_path.read_text(errors="replace")
        except (OSError, RuntimeError):
            return ""

    def alarms(self) -> list[str]:
        """Lines of the log that show a traceback, an asyncio warning or a killed worker."""
        return [line for line in self.output().splitlines() if any(a in line for a in ALARMS)]

    def children(self) -> list[int]:
        """PIDs of the main process's direct children (gunicorn's workers)."""
        return children_of(self.pid) if self._proc is not None else []

    def send_signal(self, sig: int) -> None:
        """Send ``sig`` to the main process (SIGHUP: a reload...), without waiting."""
        if self._proc is None:
            raise RuntimeError(f"{self.name} is not running")
        if self._proc.poll() is None:
            self._proc.send_signal(sig)

    def wait(self, timeout: float = 30.0) -> int:
        """Wait (bounded) until the main process exits; its exit code."""
        if self._proc is None:
            raise RuntimeError(f"{self.name} is not running")
        return self._proc.wait(timeout)

    def terminate(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Send ``sig`` to the main process (SIGTERM: a graceful stop) and wait; its exit code."""
        self.send_signal(sig)
        return self.wait(timeout)

    def _command(self) -> Sequence[str]:
        return self.command

    def _terminate(self) -> None:
        # The whole group at once: a master killed alone leaves its workers behind for a while.
        if self._proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait(10)
        super()._terminate()


@contextlib.contextmanager
def served(
    command: Callable[[int], Sequence[str]],
    env: Mapping[str, str],
    log_dir: Path,
    *,
    app_dir: Path | None = None,
    startup: float = 60.0,
) -> Iterator[AppServer]:
    """An :class:`AppServer` started for the block and closed at its end."""
    with served_together(
        {"server": command}, env, log_dir, app_dir=app_dir, startup=startup
    ) as all_:
        yield all_["server"]


@contextlib.contextmanager
def served_together(
    commands: Mapping[str, Callable[[int], Sequence[str]]],
    env: Mapping[str, str],
    log_dir: Path,
    *,
    app_dir: Path | None = None,
    startup: float = 60.0,
) -> Iterator[dict[str, AppServer]]:
    """Launch every command at once (start-ups overlap), wait for all, close all at the end."""
    servers: dict[str, AppServer] = {}
    try:
        for name, command in commands.items():
            servers[name] = AppServer(
                command, env=env, app_dir=app_dir, log_dir=log_dir, startup_timeout=startup
            ).launch()
        for server in servers.values():
            server.wait_ready()
        yield servers
    finally:
        for server in servers.values():
            server.close()


@dataclass
class Answer:
    """One HTTP answer, with the ``X-Worker-Pid`` header the test apps set (0 without it)."""

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


def uwsgi_command(app: str, port: int, *, workers: int, lazy_apps: bool) -> list[str]:
    """``uwsgi`` (the ``pyuwsgi`` wheel of this venv) with a master and ``workers`` workers."""
    uwsgi = shutil.which("uwsgi", path=str(Path(sys.executable).parent))
    if uwsgi is None:
        raise RuntimeError("uwsgi is not installed: run scripts/bootstrap (test group: pyuwsgi)")
    return [
        uwsgi, "--master", "--processes", str(workers), "--enable-threads", "--die-on-term",
        "--http-socket", f"127.0.0.1:{port}", "--module", app, "--disable-logging",
        *(["--lazy-apps"] if lazy_apps else []),
    ]  # fmt: skip


class PreforkServer(AppServer):
    """A master with ``workers`` worker processes; ``poll_workers`` asks each of them."""

    def __init__(
        self,
        command: Callable[[int], Sequence[str]],
        *,
        workers: int,
        env: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(command, env=env)
        self.workers = workers

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


class Gunicorn(PreforkServer):
    """``gunicorn app`` with ``workers`` workers and gunicorn's info lines in the log."""

    name = "gunicorn"

    def __init__(
        self,
        *,
        worker_class: str = "sync",
        preload: bool = False,
        env: Mapping[str, str] | None = None,
        workers: int = 2,
        app: str = "tests.flask.apps.gunicorn_app:app",
    ) -> None:
        super().__init__(
            lambda port: gunicorn_command(
                app,
                port,
                workers=workers,
                worker_class=worker_class,
                preload=preload,
                log_level=None,
            ),
            workers=workers,
            env=env,
        )


class Uwsgi(PreforkServer):
    """``uwsgi --master`` serving ``app`` over HTTP: loaded in the master, or in each worker."""

    name = "uwsgi"

    def __init__(
        self,
        app: str,
        *,
        workers: int = 4,
        lazy_apps: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            lambda port: uwsgi_command(app, port, workers=workers, lazy_apps=lazy_apps),
            workers=workers,
            env=env,
        )
        self.lazy_apps = lazy_apps

    def wait_loaded(self, loads: int, timeout: float = 120) -> None:
        """Wait (bounded) until uwsgi has logged ``loads`` app loads, then for every worker.

        Until a worker has loaded the app, requests wait in the listen backlog: under load
        that is longer than a client's timeout.
        """
        poll_until(
            lambda: self.output().count(") ready in ") >= loads,
            timeout,
            "uwsgi did not load the app",
        )
        self.poll_workers("/readyz", lambda a: a.status == 200, timeout=60)
