"""DEPHEALTH_<DEP>_<FIELD> names: resolved by the known fields, the longest dependency first."""

from __future__ import annotations

import pytest

from dephealth_core import ConfigError, DependencyHealth, tcp_check

BASE = {"DEPHEALTH_NAME": "svc", "DEPHEALTH_GROUP": "team"}


def engine(environ: dict[str, str], *dependencies: object) -> DependencyHealth:
    return DependencyHealth(
        None,
        None,
        *dependencies,
        environ={**BASE, **environ},
        metrics=False,  # type: ignore[arg-type]
    )


def addresses(dh: DependencyHealth) -> dict[str, tuple[tuple[str, str], ...]]:
    return {d.name: tuple(d.resolve_target().hosts) for d in dh.dependencies}


def test_a_dependency_and_one_whose_name_extends_it_coexist() -> None:
    """DEPHEALTH_DB_URL and DEPHEALTH_DB_REPLICA_URL give db and db-replica."""
    dh = engine(
        {
            "DEPHEALTH_DB_URL": "tcp://10.0.0.1:5432",
            "DEPHEALTH_DB_CRITICAL": "yes",
            "DEPHEALTH_DB_REPLICA_URL": "tcp://10.0.0.2:5432",
            "DEPHEALTH_DB_REPLICA_CRITICAL": "no",
            "DEPHEALTH_DB_REPLICA_LABEL_ROLE": "replica",
        }
    )
    assert addresses(dh) == {
        "db": (("10.0.0.1", "5432"),),
        "db-replica": (("10.0.0.2", "5432"),),
    }
    labels = {d.name: dict(d.labels or {}) for d in dh.dependencies}
    assert labels == {"db": {}, "db-replica": {"role": "replica"}}


def test_a_dependency_in_code_does_not_take_a_longer_ones_keys() -> None:
    """db declared in code keeps its address; DEPHEALTH_DB_REPLICA_* declares db-replica."""
    dh = engine(
        {"DEPHEALTH_DB_REPLICA_URL": "tcp://10.0.0.2:5432", "DEPHEALTH_DB_REPLICA_CRITICAL": "no"},
        tcp_check("db", host="10.0.0.1", port=5432, critical=True),
    )
    assert addresses(dh) == {
        "db": (("10.0.0.1", "5432"),),
        "db-replica": (("10.0.0.2", "5432"),),
    }


def test_a_field_with_an_underscore_goes_to_the_dependency_before_it() -> None:
    """DEPHEALTH_API_CHECK_INTERVAL is api's check_interval, not a field of 'api-check'."""
    dh = engine(
        {
            "DEPHEALTH_API_URL": "http://10.0.0.3/health",
            "DEPHEALTH_API_CRITICAL": "yes",
            "DEPHEALTH_API_CHECK_INTERVAL": "30",
            "DEPHEALTH_API_TLS_SKIP_VERIFY": "no",
        }
    )
    (api,) = dh.dependencies
    assert api.name == "api"
    assert float(api.interval) == 30.0  # type: ignore[arg-type]


def test_an_unknown_field_names_the_longest_dependency_it_could_belong_to() -> None:
    """DEPHEALTH_DB_REPLICA_COLOUR: an unknown setting 'colour' of db-replica."""
    with pytest.raises(ConfigError) as caught:
        engine(
            {
                "DEPHEALTH_DB_URL": "tcp://10.0.0.1:5432",
                "DEPHEALTH_DB_CRITICAL": "yes",
                "DEPHEALTH_DB_REPLICA_URL": "tcp://10.0.0.2:5432",
                "DEPHEALTH_DB_REPLICA_CRITICAL": "no",
                "DEPHEALTH_DB_REPLICA_COLOUR": "red",
            }
        )
    assert (caught.value.dependency, caught.value.field) == ("db-replica", "colour")


@pytest.mark.parametrize("field", ["POOL", "CLIENT"])
def test_a_pool_or_client_in_the_environment_is_a_config_error(field: str) -> None:
    """A pool object cannot come from a variable: a ConfigError, not a TypeError."""
    with pytest.raises(ConfigError) as caught:
        engine(
            {
                "DEPHEALTH_DB_URL": "tcp://10.0.0.1:5432",
                "DEPHEALTH_DB_CRITICAL": "yes",
                f"DEPHEALTH_DB_{field}": "x",
            }
        )
    assert (caught.value.dependency, caught.value.field) == ("db", field.lower())


def test_keys_of_no_declared_dependency_are_left_alone() -> None:
    """DEPHEALTH_OTHER_CRITICAL without a URL, TYPE or HOST declares nothing."""
    dh = engine({"DEPHEALTH_OTHER_CRITICAL": "yes"})
    assert dh.dependencies == ()


def test_global_names_are_never_a_dependency_field() -> None:
    """DEPHEALTH_CHECK_INTERVAL is the global interval, even beside a 'check' dependency."""
    dh = engine(
        {
            "DEPHEALTH_CHECK_INTERVAL": "20",
            "DEPHEALTH_CHECK_URL": "tcp://10.0.0.4:1",
            "DEPHEALTH_CHECK_CRITICAL": "no",
        }
    )
    assert dh.defaults.interval == 20.0
    assert [d.name for d in dh.dependencies] == ["check"]
