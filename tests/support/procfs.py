"""What ``/proc`` tells about processes from outside them (Linux): children, TCP connections.

``connections_to(port, pids)`` counts the TCP connections that given processes hold to a port:
what a server would see, attributed to the process that holds them.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable

__all__ = [
    "TCP_STATES",
    "children_of",
    "connections_to",
    "own_sockets_to",
    "socket_inodes",
    "sockets_to",
    "tcp_table",
]


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
