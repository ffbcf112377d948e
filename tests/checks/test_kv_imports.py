"""Driver-backed checkers: missing drivers name their extra; checkers get the real timeout."""

from __future__ import annotations

import sys

import pytest

from dephealth_core import DependencyHealth, amqp_check, kafka_check, ldap_check, redis_check


@pytest.mark.parametrize(
    ("module", "dependency", "extra"),
    [
        ("redis", redis_check("x", url="redis://127.0.0.1", critical=True), "redis"),
        ("ldap3", ldap_check("x", url="ldap://127.0.0.1", critical=True), "ldap"),
        ("aio_pika", amqp_check("x", url="amqp://127.0.0.1", critical=True), "amqp"),
        ("aiokafka", kafka_check("x", url="kafka://127.0.0.1", critical=True), "kafka"),
    ],
)
def test_missing_driver_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, module: str, dependency: object, extra: str
) -> None:
    """Without the driver, building the check says: pip install 'dephealth-suite[extra]'."""
    for name in list(sys.modules):
        if name == module or name.startswith(module + "."):
            monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ImportError, match=rf"pip install 'dephealth-suite\[{extra}\]'"):
        DependencyHealth("svc", "team", dependency, metrics=False)  # type: ignore[arg-type]


def test_checkers_get_the_effective_timeout() -> None:
    """A global timeout reaches the drivers' own socket timeouts (LDAP, AMQP pool waits)."""
    dh = DependencyHealth(
        "svc",
        "team",
        ldap_check("ldap", url="ldap://127.0.0.1", critical=True),
        timeout=2,
        metrics=False,
    )
    checker = dh._prepared["ldap"].checker
    assert checker.options.timeout == 2  # type: ignore[union-attr]
