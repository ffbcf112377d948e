"""TCP checks against real sockets: ok, refused, unresolvable name, black hole."""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry

from dephealth_core import DependencyHealth, EndpointStatus, tcp_check

from .servers import black_hole, refused_port, syn_black_hole


async def check_once(dependency: object, timeout: float = 3.0) -> EndpointStatus:
    dh = DependencyHealth(
        "svc",
        "team",
        dependency,  # type: ignore[arg-type]
        check_interval=10,
        timeout=timeout,
        environ={},
        registry=CollectorRegistry(),
    )
    details = await dh.check_now()
    (status,) = details.values()
    return status


async def test_open_port_is_ok() -> None:
    """A listening port is healthy."""
    with black_hole() as port:
        status = await check_once(tcp_check("svc-a", host="127.0.0.1", port=port, critical=True))
    assert (status.healthy, status.detail) == (True, "ok")


async def test_refused() -> None:
    """Nothing listening is connection_error / connection_refused."""
    status = await check_once(
        tcp_check("svc-a", host="127.0.0.1", port=refused_port(), critical=True)
    )
    assert (status.status, status.detail) == ("connection_error", "connection_refused")


async def test_unresolvable_name() -> None:
    """A name under .invalid is dns_error."""
    status = await check_once(tcp_check("svc-a", host="nothing.invalid", port=80, critical=True))
    assert (status.status, status.detail) == ("dns_error", "dns_error")


async def test_connect_that_never_completes_is_timeout() -> None:
    """A connection that never completes is cancelled at the timeout."""
    with syn_black_hole() as port:
        loop = asyncio.get_running_loop()
        started = loop.time()
        status = await check_once(
            tcp_check("svc-a", host="127.0.0.1", port=port, critical=True), timeout=0.3
        )
        elapsed = loop.time() - started
    assert (status.status, status.detail) == ("timeout", "timeout")
    assert elapsed < 2


async def test_multi_host_url_checks_each_endpoint() -> None:
    """tcp://a:1,b:2 gives one endpoint per host, each with its own result."""
    with black_hole() as port:
        closed = refused_port()
        dh = DependencyHealth(
            "svc",
            "team",
            tcp_check("pair", url=f"tcp://127.0.0.1:{port},127.0.0.1:{closed}", critical=True),
            environ={},
            registry=CollectorRegistry(),
            check_interval=10,
            timeout=0.5,
        )
        details = await dh.check_now()
    assert {k: v.detail for k, v in details.items()} == {
        f"pair:127.0.0.1:{port}": "ok",
        f"pair:127.0.0.1:{closed}": "connection_refused",
    }
    assert dh.health() == {"pair": False}


async def test_an_ip_endpoint_is_checked_without_a_task() -> None:
    """The engine's fast path connects on a raw socket: no task is created for the check."""
    import socket

    from dephealth_core import Endpoint
    from dephealth_core.checks._tcp import TcpChecker

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        loop = asyncio.get_running_loop()
        outcome: asyncio.Future[BaseException | None] = loop.create_future()
        endpoint = Endpoint("127.0.0.1", str(port), dependency="raw", type="tcp", critical=True)
        tasks_before = len(asyncio.all_tasks())
        TcpChecker().begin_check(endpoint, outcome.set_result)
        assert len(asyncio.all_tasks()) == tasks_before
        assert await asyncio.wait_for(outcome, 10) is None
