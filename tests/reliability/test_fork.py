"""Fork: under gunicorn --preload with four workers, every worker runs its own checks.

The Flask app is loaded once in gunicorn's master and forked into four workers; its checks
start in each worker right after the fork (``DEPHEALTH_START=init_app``). Each process
checks a Redis through a client of its own, built when its checks start and named after its
pid, so Redis itself (``CLIENT LIST``) says which processes check and how recently. Killing a
worker makes gunicorn fork a replacement, which must check on its own and answer healthy,
while the killed one's connections are gone.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support._process import poll_until
from tests.support.app_servers import gunicorn_command, served

from .adapters import APPS

WORKERS = 4


def checking_processes(redis_port: int) -> dict[int, int]:
    """pid -> seconds since its last command, for each ``rel-<pid>`` client of the Redis."""
    import redis

    with redis.Redis(host="127.0.0.1", port=redis_port) as admin:
        clients = admin.client_list()
    return {
        int(client["name"][4:]): int(client["idle"])
        for client in clients
        if client.get("name", "").startswith("rel-")
    }


def answer_from(
    base_url: str, pid: int, path: str = "/readyz", attempts: int = 40
) -> httpx.Response:
    """An answer to ``path`` from worker ``pid`` (concurrent requests spread over workers)."""

    def ask(_: int) -> httpx.Response:
        with httpx.Client(base_url=base_url, timeout=30) as client:
            client.get("/pid?sleep=0.1")  # keeps one worker busy so the next lands elsewhere
            return client.get(path)

    with ThreadPoolExecutor(WORKERS) as pool:
        for _ in range(attempts):
            for answer in pool.map(ask, range(WORKERS)):
                if answer.headers.get("x-worker-pid") == str(pid):
                    return answer
    raise AssertionError(f"no answer from worker {pid}")


@pytest.mark.e2e
def test_preloaded_workers_each_check_and_a_replaced_worker_recovers(
    private_redis: Callable[..., Any], tmp_path: Path
) -> None:
    """Four preloaded workers check on their own; a killed one's replacement checks and is ready."""
    cache = private_redis()
    env = {
        "DEPHEALTH_NAME": "fork",
        "DEPHEALTH_GROUP": "tests",
        "DEPHEALTH_CHECK_INTERVAL": "1",
        "DEPHEALTH_TIMEOUT": "0.5",
        "REL_START": "init_app",
        "REL_REDIS_PORT": str(cache.port),
    }
    command = lambda port: gunicorn_command(  # noqa: E731
        "flask_app:app", port, workers=WORKERS, preload=True
    )
    with served(command, env, tmp_path, app_dir=APPS) as server:
        master = server.pid
        poll_until(lambda: len(server.children()) == WORKERS, 30, "four workers")
        workers = set(server.children())
        # No request needed: each worker starts checking right after its fork.
        poll_until(
            lambda: set(checking_processes(cache.port)) == workers,
            30,
            "every worker to check",
            state=lambda: (checking_processes(cache.port), workers),
        )
        time.sleep(1.5)
        seen = checking_processes(cache.port)
        assert master not in seen  # the master forks the workers; it checks nothing
        assert all(idle <= 2 for idle in seen.values()), seen  # and they keep checking

        victim = sorted(workers)[0]
        os.kill(victim, signal.SIGKILL)
        poll_until(
            lambda: len(set(server.children()) - workers) == 1 and victim not in server.children(),
            30,
            "gunicorn to replace the killed worker",
        )
        (replacement,) = set(server.children()) - workers
        poll_until(
            lambda: set(checking_processes(cache.port)) == (workers - {victim}) | {replacement},
            30,
            "the replacement to check and the killed worker's connection to close",
            state=lambda: checking_processes(cache.port),
        )
        answer = answer_from(server.base_url, replacement)
        assert answer.status_code == 200, answer.text
        details = answer_from(server.base_url, replacement, "/health/details").json()
        assert details[f"cache:127.0.0.1:{cache.port}"]["status"] == "ok"
        server.terminate()
    assert "Traceback" not in server.output()
