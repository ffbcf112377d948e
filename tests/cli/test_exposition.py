"""The /metrics text written from the snapshot is byte for byte prometheus_client's."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, generate_latest

from dephealth_core import DependencyHealth, tcp_check
from dephealth_core._exposition import ExpositionRenderer
from tests.support.ports import free_port
from tests.support.stubs import TcpStubServer


async def test_same_bytes_as_generate_latest(tcp_stub: Callable[..., TcpStubServer]) -> None:
    """Healthy, refused, unchecked, custom labels with quotes: the same text both ways."""
    up = tcp_stub()
    registry = CollectorRegistry()
    engine = DependencyHealth(
        "orders",
        "shop",
        tcp_check(
            "api",
            url=f"tcp://127.0.0.1:{up.port},localhost:{up.port}",
            critical=True,
            labels={"zone": 'eu "west"\\1', "alpha": "a"},
        ),
        tcp_check("gone", host="127.0.0.1", port=free_port(), critical=False),
        registry=registry,
        environ={},
    )
    renderer = ExpositionRenderer()
    assert renderer.render(engine.snapshot) == generate_latest(registry)  # nothing checked yet
    for _ in range(3):
        await engine.check_now()
        assert renderer.render(engine.snapshot) == generate_latest(registry)
    text = renderer.render(engine.snapshot).decode()
    assert 'zone="eu \\"west\\"\\\\1"' in text
    assert 'detail="connection_refused"' in text
    engine.remove_dependency("gone")
    assert renderer.render(engine.snapshot) == generate_latest(registry)
