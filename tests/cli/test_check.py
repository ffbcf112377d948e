"""``dephealth check``: the installed console script against real servers."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.ports import free_port
from tests.support.servers import PrivateRedis
from tests.support.stubs import TcpStubServer

from .cli_support import DEADLINE, DEPHEALTH, cli_env, run_cli, write_config


def _rows(stdout: str) -> dict[str, list[str]]:
    lines = stdout.splitlines()
    assert lines[0].split() == [
        "DEPENDENCY",
        "ENDPOINT",
        "CRITICAL",
        "STATUS",
        "DETAIL",
        "LATENCY",
        "MS",
    ]
    return {line.split()[0]: line.split() for line in lines[1:]}


def test_all_up_exits_0_with_a_table(
    tmp_path: Path, tcp_stub: Callable[..., TcpStubServer], postgres_dsn: str, redis_url: str
) -> None:
    """Every dependency up: exit 0, one table row per endpoint with its status."""
    stub = tcp_stub()
    config = write_config(
        tmp_path / "dephealth.toml",
        f"""
[dependencies.db]
url = "{postgres_dsn}"
critical = true

[dependencies.cache]
url = "{redis_url}"
critical = true

[dependencies.queue-port]
type = "tcp"
host = "127.0.0.1"
port = {stub.port}
critical = false
""",
    )
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 0, result.stderr
    rows = _rows(result.stdout)
    assert rows["db"][1:5] == ["127.0.0.1:5432", "yes", "ok", "ok"]
    assert rows["cache"][1:5] == ["127.0.0.1:6379", "yes", "ok", "ok"]
    assert rows["queue-port"][1:5] == [f"127.0.0.1:{stub.port}", "no", "ok", "ok"]
    assert float(rows["db"][5]) > 0
    assert result.stderr == ""


def test_a_critical_dependency_down_exits_1(
    tmp_path: Path, tcp_stub: Callable[..., TcpStubServer]
) -> None:
    """A refused critical dependency: exit 1, the table says connection_refused."""
    stub = tcp_stub()
    closed = free_port()
    config = write_config(
        tmp_path / "dephealth.toml",
        f"""
[dependencies.up]
url = "tcp://127.0.0.1:{stub.port}"
critical = true

[dependencies.gone]
url = "tcp://127.0.0.1:{closed}"
critical = true
""",
    )
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 1
    rows = _rows(result.stdout)
    assert rows["gone"][3:5] == ["connection_error", "connection_refused"]
    assert rows["up"][3] == "ok"


def test_a_non_critical_dependency_down_still_exits_0(
    tmp_path: Path, tcp_stub: Callable[..., TcpStubServer]
) -> None:
    """Only critical dependencies decide the exit status."""
    stub = tcp_stub()
    config = write_config(
        tmp_path / "dephealth.toml",
        f"""
[dependencies.up]
url = "tcp://127.0.0.1:{stub.port}"
critical = true

[dependencies.optional]
url = "tcp://127.0.0.1:{free_port()}"
critical = false
""",
    )
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 0
    assert _rows(result.stdout)["optional"][3] == "connection_error"


def test_json_gives_the_details_document(
    tmp_path: Path, tcp_stub: Callable[..., TcpStubServer], redis_url: str
) -> None:
    """``--json`` prints the HealthDetails JSON keyed dependency:host:port."""
    stub = tcp_stub()
    config = write_config(
        tmp_path / "dephealth.toml",
        f"""
[dependencies.cache]
url = "{redis_url}"
critical = true
labels = {{ role = "primary" }}

[dependencies.side]
url = "tcp://127.0.0.1:{stub.port}"
critical = false
""",
    )
    result = run_cli("check", "--config", str(config), "--json")
    assert result.returncode == 0, result.stderr
    details = json.loads(result.stdout)
    assert set(details) == {"cache:127.0.0.1:6379", f"side:127.0.0.1:{stub.port}"}
    cache = details["cache:127.0.0.1:6379"]
    assert cache["healthy"] is True
    assert cache["status"] == "ok"
    assert cache["type"] == "redis"
    assert cache["critical"] is True
    assert cache["labels"] == {"role": "primary"}
    assert cache["latency_ms"] > 0


def test_the_environment_wins_over_the_file(
    tmp_path: Path, tcp_stub: Callable[..., TcpStubServer]
) -> None:
    """``DEPHEALTH_<DEP>_URL`` replaces the file's URL; flat-only dependencies are added."""
    stub = tcp_stub()
    config = write_config(
        tmp_path / "dephealth.toml",
        f"""
[dependencies.api]
url = "tcp://127.0.0.1:{free_port()}"
critical = true
""",
    )
    env = cli_env(
        DEPHEALTH_API_URL=f"tcp://127.0.0.1:{stub.port}",
        DEPHEALTH_EXTRA_URL=f"tcp://127.0.0.1:{stub.port}",
        DEPHEALTH_EXTRA_CRITICAL="no",
        DEPHEALTH_NAME="billing",
    )
    result = run_cli("check", "--config", str(config), "--json", env=env)
    assert result.returncode == 0, result.stderr
    details = json.loads(result.stdout)
    assert set(details) == {f"api:127.0.0.1:{stub.port}", f"extra:127.0.0.1:{stub.port}"}


def test_environment_only_without_a_file(tcp_stub: Callable[..., TcpStubServer]) -> None:
    """Without ``--config`` the ``DEPHEALTH_*`` environment alone configures the round."""
    stub = tcp_stub()
    env = cli_env(
        DEPHEALTH_NAME="orders",
        DEPHEALTH_GROUP="shop",
        DEPHEALTH_BROKER_URL=f"tcp://127.0.0.1:{stub.port}",
        DEPHEALTH_BROKER_CRITICAL="yes",
    )
    result = run_cli("check", env=env)
    assert result.returncode == 0, result.stderr
    assert _rows(result.stdout)["broker"][3] == "ok"


def test_wait_gates_until_a_late_server_listens(tmp_path: Path) -> None:
    """``--wait`` repeats rounds (one stderr line each) until the server comes up: exit 0."""
    port = free_port()
    config = write_config(
        tmp_path / "dephealth.toml",
        f"""
timeout = 1
[dependencies.late]
url = "tcp://127.0.0.1:{port}"
critical = true
""",
    )
    late = TcpStubServer(port=port)
    process = subprocess.Popen(
        [DEPHEALTH, "check", "--config", str(config), "--wait", "120"],
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        first = process.stderr.readline()
        # The server starts only once a round has seen it down.
        assert first.startswith("dephealth: round 1: not ready: critical down: late"), first
        late.start()
        stdout, rest = process.communicate(timeout=DEADLINE)
    finally:
        process.kill()
        process.wait()
        late.stop()
    assert process.returncode == 0, rest
    progress = [first.strip(), *rest.splitlines()]
    assert progress[-1].endswith("ready")
    assert len(progress) >= 2
    assert _rows(stdout)["late"][3] == "ok"


def test_wait_runs_out_with_exit_1(tmp_path: Path) -> None:
    """``--wait`` gives up when the time is up: exit 1, the last line says so."""
    config = write_config(
        tmp_path / "dephealth.toml",
        f"""
[dependencies.never]
url = "tcp://127.0.0.1:{free_port()}"
critical = true
""",
    )
    result = run_cli("check", "--config", str(config), "--wait", "1.5")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) >= 2
    assert all(line.startswith("dephealth: round ") for line in lines)
    assert lines[-1].endswith("(time is up)")
    assert _rows(result.stdout)["never"][3] == "connection_error"


def test_a_black_holed_dependency_ends_with_its_timeout(
    tmp_path: Path, tcp_stub: Callable[..., TcpStubServer]
) -> None:
    """An HTTP server that accepts and never answers: the round ends as a timeout, exit 1."""
    hold = tcp_stub("hold")
    config = write_config(
        tmp_path / "dephealth.toml",
        f"""
[dependencies.silent-api]
url = "http://127.0.0.1:{hold.port}"
critical = true
timeout = 0.5
""",
    )
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 1
    assert _rows(result.stdout)["silent-api"][3:5] == ["timeout", "timeout"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("[dependencies.db\nurl = 1", "invalid TOML"),
        (
            '[dependencies.db]\ntype = "nosql"\ncritical = true\nhost = "h"',
            "dependency 'db', field 'type'",
        ),
        ('[dependencies.db]\nurl = "tcp://h:1"', "dependency 'db', field 'critical'"),
        (
            '[dependencies.db]\nurl = "tcp://h:1"\ncritical = true\ntimeout = "soon"',
            "field 'timeout'",
        ),
        ('[dependencies.db]\nurl = "tcp://h:1"\ncritical = true\ncolour = "red"', "field 'colour'"),
        ("", "no dependencies configured"),
    ],
)
def test_bad_files_exit_2_with_the_reason(tmp_path: Path, body: str, expected: str) -> None:
    """Bad configuration: exit 2, one line on stderr naming what is wrong, no traceback."""
    config = write_config(tmp_path / "dephealth.toml", body)
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 2
    assert expected in result.stderr
    assert result.stderr.startswith("dephealth: ")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    """A configuration file that does not exist is bad configuration, named on stderr."""
    result = run_cli("check", "--config", str(tmp_path / "absent.toml"))
    assert result.returncode == 2
    assert "absent.toml" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_secret_in_errors_or_output(
    tmp_path: Path, private_redis: Callable[..., PrivateRedis]
) -> None:
    """A password in a URL appears neither in a ConfigError line nor in the table or JSON."""
    secret = "hunter2-cli-secret"
    server = private_redis(password="the-right-one")
    bad = write_config(
        tmp_path / "bad.toml",
        f'[dependencies.cache]\nurl = "redis://:{secret}@127.0.0.1:6379/0"\ncritical = true\n'
        'timeout = "later"\n',
    )
    result = run_cli("check", "--config", str(bad))
    assert result.returncode == 2
    assert secret not in result.stderr + result.stdout
    good = write_config(
        tmp_path / "good.toml",
        f'[dependencies.cache]\nurl = "redis://:{secret}@127.0.0.1:{server.port}/0"\n'
        "critical = true\n",
    )
    for extra in ((), ("--json",)):
        result = run_cli("check", "--config", str(good), "--log-level", "debug", *extra)
        assert result.returncode == 1
        assert "auth_error" in result.stdout
        assert secret not in result.stdout + result.stderr


def test_config_from_the_environment_variable(
    tmp_path: Path, tcp_stub: Callable[..., TcpStubServer]
) -> None:
    """``DEPHEALTH_CONFIG`` names the file when ``--config`` is not given."""
    stub = tcp_stub()
    config = write_config(
        tmp_path / "dephealth.toml",
        f'[dependencies.api]\nurl = "tcp://127.0.0.1:{stub.port}"\ncritical = true\n',
    )
    result = run_cli("check", env=cli_env(DEPHEALTH_CONFIG=str(config)))
    assert result.returncode == 0, result.stderr
    assert "api" in _rows(result.stdout)


def test_version_and_help() -> None:
    """``--version`` prints the version; the help texts name the subcommands and options."""
    import dephealth_core

    version = run_cli("--version")
    assert version.returncode == 0
    assert version.stdout.strip() == f"dephealth {dephealth_core.__version__}"
    top = run_cli("--help")
    assert top.returncode == 0
    assert "check" in top.stdout and "serve" in top.stdout
    check = run_cli("check", "--help")
    assert check.returncode == 0
    for option in ("--config", "--json", "--wait", "Exit status"):
        assert option in check.stdout
    serve = run_cli("serve", "--help")
    for option in ("--host", "--port", "SIGTERM", "SIGHUP"):
        assert option in serve.stdout
    bare = run_cli()
    assert bare.returncode == 2
    assert "usage: dephealth" in bare.stderr
