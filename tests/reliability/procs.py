"""Real servers in subprocesses (uvicorn, gunicorn) and what the test reads from outside them.

``served()`` starts a command with our sources first on ``PYTHONPATH``, waits until its port
answers, and always ends it. Its stderr goes to a file the test reads afterwards (tracebacks,
asyncio warnings). ``sockets_to()`` counts the TCP connections that given processes hold to a
port, from ``/proc``: what a server would see, attributed to the process that holds them.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.ports import free_port, port_is_open

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
APPS = HERE / "apps"
#: Text that must never appear in a server's stderr: tracebacks and asyncio's complaints.
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


@dataclass
class Served:
    """A running server: its process, base URL and stderr file."""

    process: subprocess.Popen[bytes]
    port: int
    stderr_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def alarms(self) -> list[str]:
        """Lines of stderr that show a traceback or an asyncio warning."""
        return [line for line in self.stderr.splitlines() if any(a in line for a in ALARMS)]

    def children(self) -> list[int]:
        """PIDs of the server's direct children (gunicorn's workers)."""
        return children_of(self.process.pid)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        """Send ``sig`` and wait for the exit (bounded); returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout)


def children_of(pid: int) -> list[int]:
    """Direct children of ``pid`` (Linux: /proc/<pid>/task/*/children)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found.extend(int(item) for item in handle.read().split())
        except OSError:
            continue
    return found


def subprocess_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Our sources and the apps folder first on ``PYTHONPATH``; ``extra`` on top."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        part for part in (str(ROOT / "src"), str(ROOT), str(APPS), env.get("PYTHONPATH")) if part
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(extra or {})
    return env


def uvicorn_command(app: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--timeout-graceful-shutdown",
        "5",
    ]


def gunicorn_command(app: str, port: int, *, workers: int = 1, preload: bool = False) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        *(["--preload"] if preload else []),
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--graceful-timeout",
        "10",
        "--log-level",
        "warning",
    ]


#: The adapters' apps under real servers: name -> command for a port.
ADAPTERS: dict[str, Callable[[int], list[str]]] = {
    "starlette-uvicorn": lambda port: uvicorn_command("starlette_app:app", port),
    "django-gunicorn": lambda port: gunicorn_command("relproject.wsgi:application", port),
    "flask-gunicorn": lambda port: gunicorn_command("flask_app:app", port),
}


def _launch(command: Callable[[int], list[str]], env: dict[str, str], tmp_path: Path) -> Served:
    port = free_port()
    stderr_path = tmp_path / f"server-{port}.stderr"
    with open(stderr_path, "wb") as stderr:
        process = subprocess.Popen(
            command(port),
            env=subprocess_env(env),
            cwd=str(APPS),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
    return Served(process, port, stderr_path)


def _wait_listening(server: Served, deadline: float) -> None:
    while not port_is_open("127.0.0.1", server.port, timeout=0.2):
        if server.process.poll() is not None:
            raise AssertionError(f"the server exited at startup:\n{server.stderr[-3000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"the server did not listen in time:\n{server.stderr[-3000:]}")
        time.sleep(0.05)


def _kill(server: Served) -> None:
    if server.process.poll() is None:
        try:
            os.killpg(server.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    server.process.wait(10)


@contextmanager
def served(
    command: Callable[[int], list[str]],
    env: dict[str, str],
    tmp_path: Path,
    *,
    startup: float = 60.0,
) -> Iterator[Served]:
    """Start ``command(port)`` and wait for its port; kill it (and its children) at the end."""
    with served_together({"server": command}, env, tmp_path, startup=startup) as servers:
        yield servers["server"]


@contextmanager
def served_together(
    commands: dict[str, Callable[[int], list[str]]],
    env: dict[str, str],
    tmp_path: Path,
    *,
    startup: float = 60.0,
) -> Iterator[dict[str, Served]]:
    """Start every command at once (their start-ups overlap), wait for all, kill all at the end."""
    servers: dict[str, Served] = {}
    try:
        for name, command in commands.items():
            servers[name] = _launch(command, env, tmp_path)
        deadline = time.monotonic() + startup
        for server in servers.values():
            _wait_listening(server, deadline)
        yield servers
    finally:
        for server in servers.values():
            _kill(server)


def sockets_to(port: int, pids: Iterable[int]) -> int:
    """TCP connections that the processes ``pids`` hold to remote ``port`` (Linux /proc)."""
    return len(connections_to(port, pids))


#: TCP states of /proc/net/tcp, by their hex code.
TCP_STATES = {
    "01": "ESTABLISHED",
    "02": "SYN_SENT",
    "03": "SYN_RECV",
    "04": "FIN_WAIT1",
    "05": "FIN_WAIT2",
    "06": "TIME_WAIT",
    "07": "CLOSE",
    "08": "CLOSE_WAIT",
    "09": "LAST_ACK",
    "0A": "LISTEN",
    "0B": "CLOSING",
}


def tcp_table() -> dict[str, tuple[int, str]]:
    """inode -> (remote port, state) of every TCP socket of the network namespace."""
    table: dict[str, tuple[int, str]] = {}
    for name in ("tcp", "tcp6"):
        try:
            with open(f"/proc/self/net/{name}") as handle:
                next(handle)
                for line in handle:
                    fields = line.split()
                    remote_port = int(fields[2].rsplit(":", 1)[1], 16)
                    table[fields[9]] = (remote_port, TCP_STATES.get(fields[3], fields[3]))
        except OSError:
            continue
    return table


def socket_inodes(pids: Iterable[int]) -> set[str]:
    """Inodes of the sockets the processes ``pids`` hold open."""
    inodes: set[str] = set()
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    return inodes


def connections_to(
    port: int, pids: Iterable[int], table: dict[str, tuple[int, str]] | None = None
) -> list[tuple[str, str]]:
    """``(inode, TCP state)`` of each connection the processes ``pids`` hold to ``port``.

    ``table`` (from :func:`tcp_table`) may be shared by several calls of one moment: the
    table is the namespace's, and reading it is the slow part on a busy machine.
    """
    entries = tcp_table() if table is None else table
    found = []
    for inode in socket_inodes(pids):
        remote_port, state = entries.get(inode, (0, ""))
        if remote_port == port and state != "LISTEN":
            found.append((inode, state))
    return found


def until(
    predicate: Callable[[], bool],
    what: str,
    timeout: float = 20.0,
    state: Callable[[], object] | None = None,
) -> None:
    """Poll ``predicate`` until it holds; fail with ``what`` (and ``state()``) after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            seen = f": {state()!r}" if state is not None else ""
            raise AssertionError(f"timed out waiting for {what}{seen}")
        time.sleep(0.05)


def own_sockets_to(port: int) -> int:
    """TCP sockets of this process connected to remote ``port``.

    Asks each socket descriptor (duplicated) for its peer rather than reading the machine's
    whole ``/proc/net/tcp`` table, which is slow on a busy test machine.
    """
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if not os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                continue
            duplicate = os.dup(int(fd))
        except OSError:
            continue
        sock = socket.socket(fileno=duplicate)
        try:
            inet = sock.family in (socket.AF_INET, socket.AF_INET6)
            if inet and sock.type == socket.SOCK_STREAM and sock.getpeername()[1] == port:
                count += 1
        except OSError:
            pass  # listening, or not connected
        finally:
            sock.close()
    return count
