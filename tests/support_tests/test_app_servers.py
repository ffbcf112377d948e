"""AppServer and served(): a child on its own port, its log kept, the whole group ended."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import httpx
import pytest

from tests.support._process import ServerStartError, poll_until
from tests.support.app_servers import AppServer, served, served_together
from tests.support.ports import port_is_open


def http_server(port: int) -> list[str]:
    return [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]


def test_served_answers_and_keeps_its_log_after_the_block(tmp_path: Path) -> None:
    """The server listens inside the block; its log is still readable after it is closed."""
    with served(http_server, {}, tmp_path) as server:
        assert httpx.get(server.base_url + "/").status_code == 200
        poll_until(lambda: '"GET / HTTP' in server.output(), 10, "the request in the log")
    assert not port_is_open("127.0.0.1", server.port)
    assert '"GET / HTTP' in server.output()


def test_served_together_starts_all_and_terminate_gives_the_exit_code(tmp_path: Path) -> None:
    """Every command listens before the block; SIGTERM ends the main process with its code."""
    with served_together({"a": http_server, "b": http_server}, {}, tmp_path) as servers:
        assert servers["a"].port != servers["b"].port
        assert all(port_is_open("127.0.0.1", s.port) for s in servers.values())
        assert servers["a"].terminate() == -signal.SIGTERM


def test_a_child_that_exits_at_start_fails_with_its_log(tmp_path: Path) -> None:
    """A command that exits before listening raises ServerStartError quoting its output."""
    server = AppServer(lambda port: [sys.executable, "-c", "print('no such app')"])
    with pytest.raises(ServerStartError, match="no such app"):
        server.start()
    server.close()


def test_poll_until_says_what_it_saw() -> None:
    """On timeout the message names what was awaited and, given state, what was seen."""
    with pytest.raises(TimeoutError, match=r"waiting for the answer; seen: 41"):
        poll_until(lambda: False, 0.1, "the answer", state=lambda: 41)
