"""Loopback port helpers: pick a free port, wait until something listens on one."""

from __future__ import annotations

import socket
import time

__all__ = ["free_port", "port_is_open", "wait_for_port", "wait_for_port_closed"]

_POLL_INTERVAL = 0.02


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that nothing listens on right now.

    The kernel picks it from the ephemeral range. Another process could take it before the caller
    binds it; on a test machine that race is rare enough to ignore.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """Tell whether a TCP connect to ``host:port`` succeeds within ``timeout`` seconds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(host: str, port: int, timeout: float = 10.0) -> None:
    """Poll until ``host:port`` accepts TCP connections.

    Raises:
        TimeoutError: nothing accepted a connection within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if port_is_open(host, port, timeout=max(0.05, min(remaining, 0.5))):
            return
        if time.monotonic() >= deadline:
            raise TimeoutError(f"nothing listens on {host}:{port} after {timeout:g} s")
        time.sleep(_POLL_INTERVAL)


def wait_for_port_closed(host: str, port: int, timeout: float = 10.0) -> None:
    """Poll until connects to ``host:port`` fail.

    Raises:
        TimeoutError: the port still accepted connections after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while port_is_open(host, port, timeout=0.2):
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{host}:{port} still accepts connections after {timeout:g} s")
        time.sleep(_POLL_INTERVAL)
