"""The life cycle shared by the private servers: temp dir, process, bounded waits, cleanup.

A subclass says how to prepare its work dir once, how to launch, how to tell it is ready and how to
stop. Everything started is registered, and an ``atexit`` hook stops and cleans whatever a test run
left behind, even after a failed start.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Self, TypeVar

from ._life_cycle import LifeCycle
from .ports import free_port, port_is_open, wait_for_port_closed

__all__ = [
    "ManagedServer",
    "ServerNotInstalled",
    "ServerStartError",
    "find_binary",
    "poll_until",
]

T = TypeVar("T")
_LOG_TAIL = 2000
_live: set[ManagedServer] = set()
_live_lock = threading.Lock()


class ServerNotInstalled(RuntimeError):
    """A binary the server needs is missing; ``scripts/servers`` installs it."""


class ServerStartError(RuntimeError):
    """The server did not become ready in time; the message holds the tail of its log."""


def poll_until(
    ready: Callable[[], T],
    timeout: float,
    what: str,
    interval: float = 0.05,
    *,
    state: Callable[[], object] | None = None,
) -> T:
    """Call ``ready`` until it returns something truthy; that value.

    Args:
        ready: the condition, polled every ``interval`` seconds.
        timeout: seconds before giving up.
        what: what the test waits for, for the error message.
        interval: seconds between two calls.
        state: called once on timeout; its value goes in the message (what was seen instead).

    Raises:
        TimeoutError: it did not within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while not (result := ready()):
        if time.monotonic() >= deadline:
            seen = f"; seen: {state()!r}" if state is not None else ""
            raise TimeoutError(f"gave up after {timeout:g} s waiting for {what}{seen}")
        time.sleep(interval)
    return result


def _close_all_live() -> None:
    with _live_lock:
        servers = list(_live)
    for server in servers:
        with contextlib.suppress(Exception):
            server.close()


atexit.register(_close_all_live)


class ManagedServer(LifeCycle):
    """A server process on 127.0.0.1 and a fixed port, in a private temp dir.

    ``start()``, ``stop()`` and ``restart()`` keep the port; ``close()`` also deletes the temp dir.
    Use it as a context manager, or call ``close()``; the atexit hook is only a safety net.
    """

    host = "127.0.0.1"
    name = "server"

    #: Start the child in a session of its own (so that its whole process group can be ended).
    new_session = False

    def __init__(
        self,
        *,
        port: int | None = None,
        startup_timeout: float = 30.0,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.port: int = port or free_port()
        self.startup_timeout = startup_timeout
        #: The child's whole environment; ``None``: this process's.
        self.env: dict[str, str] | None = None if env is None else dict(env)
        self.cwd = cwd
        self._workdir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    # to override ----------------------------------------------------------------------------

    def _prepare(self, workdir: Path) -> None:
        """Build the configuration and data once, before the first start."""

    def _command(self) -> Sequence[str]:
        """The command that runs the server in the foreground."""
        raise NotImplementedError

    def _is_ready(self) -> bool:
        """Whether the server answers; polled after launch."""
        return port_is_open(self.host, self.port, timeout=0.2)

    def _launch(self) -> None:
        """Start the server; the default runs ``_command()`` as a child process."""
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - kept open while the child runs
        self._proc = subprocess.Popen(
            list(self._command()),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=self.cwd or self.workdir,
            env=self.env,
            start_new_session=self.new_session,
        )

    def _terminate(self) -> None:
        """Stop the server; the default sends SIGTERM, then SIGKILL after a bounded wait."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def _exited(self) -> bool:
        """Whether the launched process is already gone (a failed start)."""
        return self._proc is not None and self._proc.poll() is not None

    # public -------------------------------------------------------------------------------

    @property
    def workdir(self) -> Path:
        if self._workdir is None:
            raise RuntimeError(f"{self.name} was never started")
        return self._workdir

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}.log"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> Self:
        """Start the server (a no-op when running) and wait, bounded, until it answers."""
        return self.launch().wait_ready()

    def launch(self) -> Self:
        """Start the server without waiting for it (a no-op when running); then ``wait_ready()``.

        Several servers launched first and waited for after start up side by side.
        """
        if self.running:
            return self
        with _live_lock:
            _live.add(self)
        try:
            if self._workdir is None:
                self._create_workdir()
            self._launch()
        except BaseException:
            with contextlib.suppress(Exception):
                self._terminate()
            raise
        return self

    def wait_ready(self) -> Self:
        """Wait, bounded by ``startup_timeout``, until the server answers; stop it if it does not.

        Raises:
            ServerStartError: it exited, or did not answer in time (the message has its log tail).
        """
        try:
            self._wait_ready()
        except BaseException:
            with contextlib.suppress(Exception):
                self._terminate()
            raise
        return self

    def stop(self) -> None:
        """Stop the server and wait until its port refuses connections. Idempotent."""
        self._terminate()
        wait_for_port_closed(self.host, self.port, timeout=10)

    def close(self) -> None:
        """Stop the server and delete its temp dir. Idempotent."""
        try:
            self._terminate()
        finally:
            with _live_lock:
                _live.discard(self)
            workdir, self._workdir = self._workdir, None
            if workdir is not None:
                shutil.rmtree(workdir, ignore_errors=True)

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<{type(self).__name__} {self.host}:{self.port} {state}>"

    # helpers ----------------------------------------------------------------------------------

    def _create_workdir(self) -> None:
        workdir = Path(tempfile.mkdtemp(prefix=f"dephealth-{self.name}-"))
        self._workdir = workdir
        try:
            self._prepare(workdir)
        except BaseException:
            with contextlib.suppress(Exception):
                self._terminate()
            self._workdir = None
            shutil.rmtree(workdir, ignore_errors=True)
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self._exited():
                raise ServerStartError(f"{self.name} exited at start:\n{self._log_tail()}")
            if self._is_ready():
                return
            if time.monotonic() >= deadline:
                raise ServerStartError(
                    f"{self.name} not ready on port {self.port} after "
                    f"{self.startup_timeout:g} s:\n{self._log_tail()}"
                )
            time.sleep(0.02)

    def _log_tail(self) -> str:
        try:
            data = self.log_path.read_bytes()
        except OSError:
            return "(no log)"
        return data[-_LOG_TAIL:].decode(errors="replace")


def find_binary(name: str, *candidates: str | Path) -> str:
    """Return the first existing executable among ``candidates`` or on PATH.

    Raises:
        ServerNotInstalled: none was found.
    """
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise ServerNotInstalled(f"{name} is not installed: run scripts/servers")
    return found
