"""dephealth_core.testing: the virtual clock and the manual checker work as documented."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from dephealth_core import ConnectionRefused, DependencyHealth
from dephealth_core.testing import ManualChecker, VirtualTimeLoop, manual_check, run_virtual

DOCS = Path(__file__).resolve().parents[2] / "docs" / "testing.md"


def engine(checker: ManualChecker, **settings: object) -> DependencyHealth:
    return DependencyHealth(
        "svc",
        "team",
        manual_check("db", checker, critical=True, **settings),  # type: ignore[arg-type]
        check_interval=10,
        timeout=1,
        metrics=False,
        environ={},
    )


def test_the_example_of_the_docs_runs() -> None:
    """The code block of docs/testing.md runs and its assertions hold."""
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(), re.S)
    assert blocks
    exec(compile(blocks[0], str(DOCS), "exec"), {"__name__": "docs_testing"})


def test_the_virtual_clock_runs_an_hour_of_sleeps_at_once() -> None:
    """An hour of asyncio.sleep ends with the loop's clock an hour later."""

    async def scenario() -> float:
        loop = asyncio.get_running_loop()
        assert isinstance(loop, VirtualTimeLoop)
        before = loop.time()
        await asyncio.sleep(3600)
        return loop.time() - before

    assert run_virtual(scenario()) == 3600


def test_set_and_fail_choose_the_detail_of_the_next_checks() -> None:
    """set("timeout"), fail(ConnectionRefused()) and set("ok") show up as those details."""
    checker = ManualChecker()
    dh = engine(checker)
    details: list[str] = []

    async def scenario() -> None:
        await dh.check_now()
        details.append(dh.health_details()["db:127.0.0.1:1"].detail)
        checker.set("timeout")
        await dh.check_now()
        details.append(dh.health_details()["db:127.0.0.1:1"].detail)
        checker.fail(ConnectionRefused())
        await dh.check_now()
        details.append(dh.health_details()["db:127.0.0.1:1"].detail)
        checker.set("ok")
        await dh.check_now()
        details.append(dh.health_details()["db:127.0.0.1:1"].detail)

    run_virtual(scenario())
    assert details == ["ok", "timeout", "connection_refused", "ok"]
    assert checker.calls == 4
    assert {endpoint.key for endpoint in checker.endpoints} == {"db:127.0.0.1:1"}


def test_hang_ends_in_the_engines_timeout() -> None:
    """A hanging check is cut by the timeout; setting an outcome lets the next ones through."""
    checker = ManualChecker()
    dh = engine(checker)

    async def scenario() -> list[str]:
        await dh.start()
        await asyncio.sleep(5)
        checker.hang()
        await asyncio.sleep(10)  # the check at 10 s hangs until its 1 s timeout
        first = dh.health_details()["db:127.0.0.1:1"].detail
        checker.set("ok")
        await asyncio.sleep(10)
        await dh.stop()
        return [first, dh.health_details()["db:127.0.0.1:1"].detail]

    assert run_virtual(scenario()) == ["timeout", "ok"]
