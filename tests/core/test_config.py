"""Configuration: validation errors that name the dependency and field, and the precedence."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from dephealth_core import ConfigError, DependencyHealth, grpc_check, http_check, tcp_check

from .fakes import ScriptedChecker, fake_dependency


def build(*deps: Any, environ: dict[str, str] | None = None, **kwargs: Any) -> DependencyHealth:
    return DependencyHealth("svc", "team", *deps, metrics=False, environ=environ or {}, **kwargs)


def error_of(*deps: Any, **kwargs: Any) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        build(*deps, **kwargs)
    return info.value


def test_bad_dependency_name_is_named() -> None:
    """An invalid dependency name is rejected with the name in the message."""
    err = error_of(tcp_check("Bad_Name", host="h", port=1, critical=True))
    assert (err.dependency, err.field) == ("Bad_Name", "name")
    assert "Bad_Name" in str(err)


@pytest.mark.parametrize("name", ["", "9lives", "x" * 64, "a b"])
def test_bad_service_name(name: str) -> None:
    """The service name follows the same rule as dependency names."""
    with pytest.raises(ConfigError) as info:
        DependencyHealth(name, "team", metrics=False, environ={})
    assert info.value.field == "name"


def test_unknown_url_scheme() -> None:
    """An unknown URL scheme is a ConfigError on the url field listing known schemes."""
    err = error_of(http_check("api", url="gopher://x", critical=True))
    assert (err.dependency, err.field) == ("api", "url")
    assert "gopher" in str(err) and "https" in str(err)


def test_missing_critical() -> None:
    """critical has no default: leaving it out names the dependency and the field."""
    err = error_of(tcp_check("db", host="h", port=1))
    assert (err.dependency, err.field) == ("db", "critical")


@pytest.mark.parametrize("port", [0, 65536, "http", -1, True])
def test_port_out_of_range(port: Any) -> None:
    """Ports outside 1-65535 (or not numbers) are rejected on the port field."""
    err = error_of(tcp_check("db", host="h", port=port, critical=True))
    assert (err.dependency, err.field) == ("db", "port")


def test_port_out_of_range_in_url() -> None:
    """A bad port inside a URL is caught too."""
    err = error_of(tcp_check("db", url="tcp://h:70000", critical=True))
    assert (err.dependency, err.field) == ("db", "port")


def test_timeout_not_below_interval() -> None:
    """timeout >= interval is refused, per dependency and globally."""
    err = error_of(tcp_check("db", host="h", port=1, critical=True, interval=5, timeout=5))
    assert (err.dependency, err.field) == ("db", "timeout")
    with pytest.raises(ConfigError) as info:
        build(check_interval=2, timeout=timedelta(seconds=3))
    assert info.value.field == "timeout"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("interval", 0.5),
        ("interval", 601),
        ("timeout", 0.05),
        ("initial_delay", -1),
        ("failure_threshold", 0),
        ("success_threshold", 11),
        ("failure_threshold", 2.5),
    ],
)
def test_ranges_of_the_contract(field: str, value: Any) -> None:
    """Durations and thresholds outside the contract's ranges are refused by field."""
    err = error_of(tcp_check("db", host="h", port=1, critical=True, **{field: value}))
    assert (err.dependency, err.field) == ("db", field)


def test_duplicate_dependency() -> None:
    """Two dependencies with one name are refused."""
    err = error_of(
        tcp_check("db", host="a", port=1, critical=True),
        tcp_check("db", host="b", port=1, critical=True),
    )
    assert (err.dependency, err.field) == ("db", "name")


def test_duplicate_endpoint_in_a_multi_host_url() -> None:
    """The same host:port twice in one URL is refused."""
    err = error_of(tcp_check("db", url="tcp://h:1,h:1", critical=True))
    assert err.dependency == "db"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"bearer_token": "tok-123", "basic_auth": ("alice", "s3cret-pw")}, "bearer_token"),
        ({"bearer_token": "tok-123", "headers": {"Authorization": "x"}}, "bearer_token"),
        ({"basic_auth": ("alice", "s3cret-pw"), "headers": {"authorization": "x"}}, "basic_auth"),
    ],
)
def test_conflicting_auth_options(kwargs: dict[str, Any], field: str) -> None:
    """Only one way to authenticate is allowed, as the dephealth contract says."""
    err = error_of(http_check("api", url="http://h", critical=True, **kwargs))
    assert (err.dependency, err.field) == ("api", field)
    assert "tok-123" not in str(err) and "s3cret-pw" not in str(err)


def test_grpc_conflicting_auth() -> None:
    """gRPC refuses a bearer token together with authorization metadata."""
    err = error_of(
        grpc_check(
            "g", url="grpc://h:1", critical=True, bearer_token="t", metadata={"authorization": "x"}
        )
    )
    assert (err.dependency, err.field) == ("g", "bearer_token")


def test_unsupported_pool_object() -> None:
    """A pool of an unsupported type names its type and the supported ones."""
    from dephealth_core import Dependency, Kind

    def source_hosts(dep: Dependency, source: Any) -> list[tuple[str, str]]:
        raise ConfigError(
            f"unsupported pool type {type(source).__name__}; supported: FakePool",
            dependency=dep.name,
            field="pool",
        )

    kind = Kind(
        type="postgres",
        default_port=5432,
        make_checker=lambda d, t: ScriptedChecker(),
        source_hosts=source_hosts,
        is_source=lambda obj: False,
    )
    err = error_of(Dependency("db", kind, critical=True, source=object()))
    assert (err.dependency, err.field) == ("db", "pool")
    assert "object" in str(err) and "FakePool" in str(err)


def test_custom_labels_validated() -> None:
    """Custom labels may not shadow required labels and must be Prometheus names."""
    err = error_of(tcp_check("db", host="h", port=1, critical=True, labels={"host": "x"}))
    assert (err.dependency, err.field) == ("db", "labels")
    err = error_of(tcp_check("db", host="h", port=1, critical=True, labels={"1x": "x"}))
    assert err.field == "labels"


def test_url_and_host_together() -> None:
    """url= and host= together are ambiguous and refused."""
    err = error_of(tcp_check("db", url="tcp://h:1", host="h", critical=True))
    assert (err.dependency, err.field) == ("db", "host")


def test_password_never_in_error_messages() -> None:
    """A bad URL's password does not appear in the error text."""
    err = error_of(http_check("api", url="ftp://user:s3cr3t@h/", critical=True))
    assert "s3cr3t" not in str(err)


def test_environment_fills_what_code_leaves_unset() -> None:
    """DEPHEALTH_<DEP>_* fills missing values; code wins where it speaks."""
    env = {
        "DEPHEALTH_NAME": "from-env",
        "DEPHEALTH_API_CRITICAL": "yes",
        "DEPHEALTH_API_TIMEOUT": "2",
        "DEPHEALTH_API_HEALTH_PATH": "/ready",
        "DEPHEALTH_API_LABEL_ROLE": "primary",
        "DEPHEALTH_API_URL": "http://ignored:1",
    }
    dh = DependencyHealth(
        None, "team", http_check("api", url="http://h:8080"), metrics=False, environ=env
    )
    dep = dh.dependencies[0]
    assert dh.name == "from-env"
    assert dep.critical == "yes" and dep.timeout == "2" and dep.url == "http://h:8080"
    assert dep.options["health_path"] == "/ready"
    assert dep.labels == {"role": "primary"}


def test_environment_declares_dependencies() -> None:
    """A dependency can be declared in the environment alone (type from the URL scheme)."""
    env = {
        "DEPHEALTH_NAME": "svc",
        "DEPHEALTH_GROUP": "team",
        "DEPHEALTH_CHECK_INTERVAL": "30",
        "DEPHEALTH_PAYMENT_API_URL": "https://pay.example:8443/health",
        "DEPHEALTH_PAYMENT_API_CRITICAL": "no",
    }
    dh = DependencyHealth(metrics=False, environ=env)
    assert [d.name for d in dh.dependencies] == ["payment-api"]
    assert dh.defaults.interval == 30


def test_mapping_and_toml_with_precedence(tmp_path: Path) -> None:
    """Code beats environment, which beats the file; the file beats defaults."""
    toml = tmp_path / "dephealth.toml"
    toml.write_text(
        """
[dephealth]
name = "from-file"
group = "team"
check_interval = 20

[dephealth.dependencies.api]
url = "http://file-host:80"
critical = true
timeout = 3

[dephealth.dependencies.cache]
type = "tcp"
host = "cache"
port = 6379
critical = false
"""
    )
    env = {"DEPHEALTH_API_TIMEOUT": "4", "DEPHEALTH_GROUP": "env-group"}
    dh = DependencyHealth.from_config(
        None,
        tcp_check("cache", host="code-host", port=1, critical=True),
        toml_path=toml,
        environ=env,
        metrics=False,
    )
    deps = {d.name: d for d in dh.dependencies}
    assert dh.name == "from-file"
    assert dh.group == "env-group"
    assert dh.defaults.interval == 20
    assert deps["api"].timeout == "4"
    assert deps["cache"].host == "code-host"


def test_mapping_unknown_key_is_named() -> None:
    """An unknown key in a settings mapping is refused with its name."""
    with pytest.raises(ConfigError) as info:
        DependencyHealth.from_config(
            {
                "name": "svc",
                "group": "g",
                "dependencies": {"api": {"url": "http://h", "critical": True, "colour": "red"}},
            },
            environ={},
            metrics=False,
        )
    assert (info.value.dependency, info.value.field) == ("api", "colour")


def test_bad_toml_is_a_config_error(tmp_path: Path) -> None:
    """A malformed TOML file raises ConfigError, not a parser exception."""
    bad = tmp_path / "bad.toml"
    bad.write_text("name = ")
    with pytest.raises(ConfigError):
        DependencyHealth.from_config(toml_path=bad, environ={}, metrics=False)


def test_zero_dependencies_is_valid() -> None:
    """A leaf service with no dependencies is a valid configuration."""
    dh = build()
    assert dh.health() == {}


def test_not_a_dependency() -> None:
    """Passing something that is not a factory result is a clear ConfigError."""
    with pytest.raises(ConfigError):
        build("postgres://h/db")  # type: ignore[arg-type]


def test_fake_dependency_defaults() -> None:
    """Global defaults apply to dependencies that set nothing."""
    dh = build(fake_dependency("db", ScriptedChecker()), check_interval=7, timeout=2)
    assert dh.defaults.interval == 7 and dh.defaults.timeout == 2


def test_environment_names_with_a_shared_prefix_do_not_collide() -> None:
    """DEPHEALTH_DB_REPLICA_URL belongs to db-replica, not to db; labels never declare one."""
    env = {
        "DEPHEALTH_DB_REPLICA_URL": "tcp://replica:5432",
        "DEPHEALTH_DB_REPLICA_CRITICAL": "no",
        "DEPHEALTH_DB_LABEL_DOCS_URL": "https://docs",
        "DEPHEALTH_CHECK_INTERVAL": "30",
    }
    dh = build(tcp_check("db", host="h", port=1, critical=True), environ=env)
    deps = {d.name: d for d in dh.dependencies}
    assert set(deps) == {"db", "db-replica"}
    assert deps["db"].labels == {"docs_url": "https://docs"}
    assert deps["db-replica"].url == "tcp://replica:5432"
    assert dh.defaults.interval == 30


def test_environment_url_does_not_override_a_code_address() -> None:
    """An address given in code wins over DEPHEALTH_<DEP>_URL."""
    env = {"DEPHEALTH_DB_URL": "tcp://elsewhere:9"}
    dh = build(tcp_check("db", host="here", port=1, critical=True), environ=env)
    dep = dh.dependencies[0]
    assert (dep.host, dep.url) == ("here", None)


def test_flat_app_config_sits_under_code_and_environment() -> None:
    """read_flat_config: code beats the environment, which beats the app's flat config."""
    from dephealth_core import read_flat_config

    nested, (api,) = read_flat_config(
        {
            "DEPHEALTH_GROUP": "team",
            "DEPHEALTH_API_TIMEOUT": "3",
            "DEPHEALTH_API_INTERVAL": "20",
            "DEPHEALTH_API_HEALTH_PATH": "/from-config",
            "DEPHEALTH_DB_URL": "tcp://db:5432",
        },
        [http_check("api", url="http://h:8080", critical=True, interval=30)],
        environ={"DEPHEALTH_API_TIMEOUT": "2", "DEPHEALTH_API_UNRELATED": "x"},
    )
    assert nested == {"group": "team", "dependencies": {"db": {"url": "tcp://db:5432"}}}
    assert (api.interval, api.timeout, api.options["health_path"]) == (30, "2", "/from-config")


def test_a_flat_app_config_key_a_kind_lacks_is_named() -> None:
    """A key of a code dependency in the app's config that its kind lacks is a ConfigError."""
    from dephealth_core import read_flat_config

    with pytest.raises(ConfigError) as caught:
        read_flat_config(
            {"DEPHEALTH_API_COLOUR": "red"},
            [http_check("api", url="http://h:8080", critical=True)],
            environ={},
        )
    assert (caught.value.dependency, caught.value.field) == ("api", "colour")
