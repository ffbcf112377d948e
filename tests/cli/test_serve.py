"""``dephealth serve``: the installed console script, its views, SIGTERM and SIGHUP."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support._process import poll_until
from tests.support.stubs import TcpStubServer

from .cli_support import DEADLINE, ServeProcess, run_cli, write_config


def _checks_per_dependency(response: httpx.Response) -> dict[str, float]:
    """``dependency`` -> ``app_dependency_latency_seconds_count`` from a /metrics answer."""
    counts: dict[str, float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == "app_dependency_latency_seconds_count":
                counts[sample.labels["dependency"]] = sample.value
    return counts


def _tcp(name: str, port: int, *, critical: bool = True) -> str:
    return (
        f'\n[dependencies.{name}]\nurl = "tcp://127.0.0.1:{port}"\n'
        f"critical = {'true' if critical else 'false'}\n"
    )


def test_serves_every_view_and_exits_0_on_sigterm(
    tmp_path: Path, tcp_stub: Callable[..., TcpStubServer]
) -> None:
    """The views and /metrics answer from the checks; SIGTERM ends the process with 0."""
    stub = tcp_stub()
    config = write_config(
        tmp_path / "dephealth.toml", "check_interval = 1\ntimeout = 0.5\n" + _tcp("api", stub.port)
    )
    with ServeProcess(config, "--show-details", "always") as serve:
        ready = serve.wait_answer("/readyz", lambda r: r.status_code == 200, "/readyz 200")
        assert ready.text == "ok\n"
        assert ready.headers["cache-control"] == "no-store"
        assert serve.get("/livez").status_code == 200  # type: ignore[union-attr]
        dependencies = serve.get("/health/dependencies")
        assert dependencies is not None
        assert dependencies.json() == {"status": "healthy", "dependencies": {"api": True}}
        health = serve.get("/health")
        assert health is not None
        assert health.headers["content-type"] == "application/health+json"
        assert health.json()["status"] == "pass"
        details = serve.get("/health/details")
        assert details is not None
        assert details.json()[f"api:127.0.0.1:{stub.port}"]["healthy"] is True
        metrics = serve.get("/metrics")
        assert metrics is not None
        assert metrics.headers["content-type"].startswith("text/plain")
        assert 'app_dependency_health{critical="yes",dependency="api"' in metrics.text
        assert serve.get("/nothing-here").status_code == 404  # type: ignore[union-attr]
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(DEADLINE) == 0
    assert "serve stopped" in serve.log()


def test_sigterm_turns_readiness_off_before_exiting(
    tmp_path: Path, tcp_stub: Callable[..., TcpStubServer]
) -> None:
    """After SIGTERM /readyz answers 503 while the process drains; a second signal ends it."""
    stub = tcp_stub()
    config = write_config(
        tmp_path / "dephealth.toml", "check_interval = 1\ntimeout = 0.5\n" + _tcp("api", stub.port)
    )
    with ServeProcess(config, "--shutdown-delay", "600") as serve:
        serve.wait_answer("/readyz", lambda r: r.status_code == 200, "/readyz 200")
        serve.send_signal(signal.SIGTERM)
        serve.wait_answer("/readyz", lambda r: r.status_code == 503, "/readyz 503 after SIGTERM")
        poll_until(lambda: "dephealth: stopped" in serve.log(), DEADLINE, "the checks stopped")
        # The last values stay readable while draining.
        metrics = serve.get("/metrics")
        assert metrics is not None and metrics.status_code == 200
        assert "api" in _checks_per_dependency(metrics)
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(DEADLINE) == 0


def test_sighup_applies_added_and_removed_dependencies(
    tmp_path: Path, tcp_stub: Callable[..., TcpStubServer]
) -> None:
    """SIGHUP: a removed dependency's series go, an added one appears, the unchanged one keeps
    its series (its check count goes on growing from where it was)."""
    kept, dropped, added = tcp_stub(), tcp_stub(), tcp_stub()
    path = tmp_path / "dephealth.toml"
    write_config(
        path,
        "check_interval = 1\ntimeout = 0.5\n"
        + _tcp("kept", kept.port)
        + _tcp("dropped", dropped.port),
    )
    with ServeProcess(path) as serve:
        before = _checks_per_dependency(
            serve.wait_answer(
                "/metrics",
                lambda r: (
                    set(_checks_per_dependency(r)) == {"kept", "dropped"}
                    and _checks_per_dependency(r)["kept"] >= 2
                ),
                "both dependencies checked",
            )
        )
        write_config(
            path,
            "check_interval = 1\ntimeout = 0.5\n"
            + _tcp("kept", kept.port)
            + _tcp("added", added.port),
        )
        serve.send_signal(signal.SIGHUP)
        after = _checks_per_dependency(
            serve.wait_answer(
                "/metrics",
                lambda r: set(_checks_per_dependency(r)) == {"kept", "added"},
                "the reloaded set of dependencies",
            )
        )
        assert after["kept"] >= before["kept"]
        assert "added=added removed=dropped changed=- unchanged=1" in serve.log()
        ready = serve.get("/readyz?verbose")
        assert ready is not None
        assert "[+]kept ok" in ready.text
        assert "dropped" not in ready.text
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(DEADLINE) == 0


def test_sighup_with_a_changed_dependency_replaces_it(
    tmp_path: Path, tcp_stub: Callable[..., TcpStubServer]
) -> None:
    """A dependency whose settings changed is replaced: it now checks the new address."""
    first, second = tcp_stub(), tcp_stub()
    path = tmp_path / "dephealth.toml"
    write_config(path, "check_interval = 1\ntimeout = 0.5\n" + _tcp("api", first.port))
    with ServeProcess(path, "--show-details", "always") as serve:
        key_before = f"api:127.0.0.1:{first.port}"
        serve.wait_answer("/health/details", lambda r: key_before in r.json(), "first address")
        write_config(path, "check_interval = 1\ntimeout = 0.5\n" + _tcp("api", second.port))
        serve.send_signal(signal.SIGHUP)
        key_after = f"api:127.0.0.1:{second.port}"
        details = serve.wait_answer(
            "/health/details",
            lambda r: key_after in r.json() and r.json()[key_after]["healthy"] is True,
            "the new address checked",
        )
        assert key_before not in details.json()
        assert "changed=api" in serve.log()


def test_sighup_with_a_bad_file_keeps_the_running_configuration(
    tmp_path: Path, tcp_stub: Callable[..., TcpStubServer]
) -> None:
    """A reload that fails is logged with its reason; the old dependencies go on being checked."""
    stub = tcp_stub()
    path = tmp_path / "dephealth.toml"
    write_config(path, "check_interval = 1\ntimeout = 0.5\n" + _tcp("api", stub.port))
    with ServeProcess(path) as serve:
        serve.wait_answer("/readyz", lambda r: r.status_code == 200, "/readyz 200")
        for body in ("[dependencies.api\n", '[dependencies.api]\nurl = "tcp://h:1"\n'):
            path.write_text(body)
            marker = serve.log().count("reload failed")
            serve.send_signal(signal.SIGHUP)
            poll_until(
                lambda m=marker: serve.log().count("reload failed") > m,
                DEADLINE,
                "the failed reload",
            )
        log = serve.log()
        assert "invalid TOML" in log
        assert "field 'critical'" in log or "field 'name'" in log
        counts = _checks_per_dependency(serve.get("/metrics"))  # type: ignore[arg-type]
        serve.wait_answer(
            "/metrics",
            lambda r: _checks_per_dependency(r).get("api", 0) > counts["api"],
            "the old dependency still checked",
        )
        assert serve.get("/readyz").status_code == 200  # type: ignore[union-attr]


def test_sighup_changing_a_global_default_restarts_every_check(
    tmp_path: Path, tcp_stub: Callable[..., TcpStubServer]
) -> None:
    """A changed global default cannot be laid over running checks: the new engine takes over."""
    stub = tcp_stub()
    path = tmp_path / "dephealth.toml"
    write_config(path, "check_interval = 1\ntimeout = 0.5\n" + _tcp("api", stub.port))
    with ServeProcess(path) as serve:
        serve.wait_answer("/readyz", lambda r: r.status_code == 200, "/readyz 200")
        write_config(path, "check_interval = 2\ntimeout = 0.5\n" + _tcp("api", stub.port))
        serve.send_signal(signal.SIGHUP)
        poll_until(lambda: "every check restarted" in serve.log(), DEADLINE, "the full reload")
        serve.wait_answer("/readyz", lambda r: r.status_code == 200, "/readyz 200 again")


def test_bad_configuration_at_start_exits_2(tmp_path: Path) -> None:
    """``serve`` with a bad file exits 2 with the reason, before listening."""
    config = write_config(tmp_path / "dephealth.toml", '[dependencies.api]\nurl = "tcp://h:1"\n')
    result = run_cli("serve", "--config", str(config))
    assert result.returncode == 2
    assert "field 'critical'" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_port_in_use_exits_1(tmp_path: Path, tcp_stub: Callable[..., TcpStubServer]) -> None:
    """``serve`` on a port something else holds: exit 1, uvicorn's reason logged."""
    busy = tcp_stub()
    config = write_config(tmp_path / "dephealth.toml", _tcp("api", busy.port))
    result = run_cli("serve", "--config", str(config), "--port", str(busy.port))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
