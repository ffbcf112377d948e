"""Fixtures of the Flask tests: app factories, real TCP targets, a probe pool kind."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from dephealth_core import Dependency, Endpoint, Kind, Target
from dephealth_flask import EXTENSION_KEY, DepHealthState


@pytest.fixture
def listener() -> Iterator[int]:
    """A loopback port that accepts TCP connections (a healthy TCP dependency)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield sock.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    """A loopback port that refuses connections."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def make_app() -> Iterator[Callable[..., Flask]]:
    """An app factory; every app's checks are stopped when the test ends."""
    apps: list[Flask] = []

    def factory(**config: Any) -> Flask:
        app = Flask(f"app{len(apps)}")
        app.config.update(TESTING=True, **config)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        state: DepHealthState | None = app.extensions.get(EXTENSION_KEY)
        if state is not None:
            state.stop()
            if state.engine.collector is not None:
                state.engine.collector.unregister()


def wait_for_status(client: FlaskClient, path: str, status: int, timeout: float = 10) -> bytes:
    """Ask ``path`` until it answers ``status`` (bounded); the body of that answer."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(path)
        if response.status_code == status:
            return response.data
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{path} answered {response.status_code} {response.data!r}, not {status}"
            )
        time.sleep(0.02)


class ProbePool:
    """A stand-in for an application pool: an address, and how many checks borrowed from it."""

    def __init__(self, port: int) -> None:
        self.host = "127.0.0.1"
        self.port = port
        self.borrowed = 0


class ProbeChecker:
    """Borrows from the pool (counts it) and opens a real TCP connection to its address."""

    def __init__(self, pool: ProbePool) -> None:
        self.pool = pool

    def check(self, endpoint: Endpoint) -> None:
        self.pool.borrowed += 1
        with socket.create_connection((endpoint.host, int(endpoint.port)), timeout=1):
            pass


def _probe_checker(dependency: Dependency, target: Target) -> ProbeChecker:
    assert isinstance(target.source, ProbePool)
    return ProbeChecker(target.source)


PROBE_KIND = Kind(
    type="probe",
    default_port=None,
    make_checker=_probe_checker,
    source_hosts=lambda dependency, pool: [(pool.host, str(pool.port))],
    is_source=lambda value: isinstance(value, ProbePool),
)


def probe_check(name: str, *, pool: Any, critical: bool = True) -> Dependency:
    """A pool-mode dependency of the probe kind."""
    return Dependency(name, PROBE_KIND, critical=critical, source=pool)
