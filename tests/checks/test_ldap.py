"""LDAP checks against a private OpenLDAP (no TLS), directly and through a fault proxy."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator

import ldap3
import pytest

from dephealth_core import ConfigError, Dependency, DependencyHealth, EndpointStatus, ldap_check
from tests.conftest import server_unavailable
from tests.support.fault_proxy import FaultProxy
from tests.support.ports import free_port
from tests.support.procfs import own_sockets_to
from tests.support.servers import PrivateSlapd, ServerNotInstalled
from tests.support.tls import tls_material

from .kv_support import black_hole, settle

pytestmark = pytest.mark.ldap

#: Short enough for black-holed rounds, long enough for a healthy check on a loaded machine
#: (the suite runs in three processes on two cores).
FAST = {"timeout": 1.0, "interval": 5}


@pytest.fixture(scope="module")
def slapd_without_tls() -> Iterator[PrivateSlapd]:
    """An OpenLDAP with no TLS configured at all: StartTLS is refused."""
    try:
        server = PrivateSlapd(ldaps=False)
    except ServerNotInstalled as exc:
        server_unavailable(str(exc))
    with server:
        yield server


@pytest.fixture
async def proxy(
    slapd: PrivateSlapd, fault_proxy: Callable[..., Awaitable[FaultProxy]]
) -> FaultProxy:
    return await fault_proxy("127.0.0.1", slapd.port)


def app_connection(slapd: PrivateSlapd) -> ldap3.Connection:
    server = ldap3.Server("127.0.0.1", port=slapd.port)
    return ldap3.Connection(server, slapd.admin_dn, slapd.admin_password, auto_bind=True)


async def check(*dependencies: Dependency) -> list[EndpointStatus]:
    dh = DependencyHealth("svc", "team", *dependencies, metrics=False)
    return list((await dh.check_now()).values())


async def test_every_check_method_works(slapd: PrivateSlapd) -> None:
    """root_dse (default, any case), anonymous and simple binds, and search all read ok."""
    url = f"ldap://127.0.0.1:{slapd.port}"
    statuses = await check(
        ldap_check("default", url=url, critical=True),
        ldap_check("upper", url=url, check_method="ROOT_DSE", critical=True),
        ldap_check("anonymous", url=url, check_method="anonymous_bind", critical=True),
        ldap_check(
            "simple",
            url=url,
            check_method="Simple_Bind",
            bind_dn=slapd.admin_dn,
            bind_password=slapd.admin_password,
            critical=True,
        ),
        ldap_check(
            "search",
            url=url,
            check_method="search",
            base_dn=slapd.suffix,
            search_scope="SUB",
            search_filter="(dc=example)",
            critical=True,
        ),
    )
    assert [(s.status, s.detail) for s in statuses] == [("ok", "ok")] * 5


async def test_wrong_password_is_auth_error(
    slapd: PrivateSlapd, caplog: pytest.LogCaptureFixture
) -> None:
    """A simple bind with a wrong password reads auth_error, and the password shows nowhere."""
    [status] = await check(
        ldap_check(
            "ldap",
            host="127.0.0.1",
            port=slapd.port,
            check_method="simple_bind",
            bind_dn=slapd.admin_dn,
            bind_password="not-the-password",
            critical=True,
        )
    )
    assert (status.status, status.detail) == ("auth_error", "auth_error")
    assert "not-the-password" not in caplog.text


def test_options_come_from_a_mapping_too() -> None:
    """The same option names work in a settings mapping (Django, TOML), in any case."""
    dh = DependencyHealth.from_config(
        {
            "name": "svc",
            "group": "team",
            "dependencies": {
                "ldap": {
                    "url": "ldap://127.0.0.1:389",
                    "critical": True,
                    "check_method": "SEARCH",
                    "base_dn": "dc=example,dc=org",
                    "search_scope": "One",
                }
            },
        },
        metrics=False,
    )
    [dependency] = dh.dependencies
    assert dependency.options["check_method"] == "SEARCH"
    with pytest.raises(ConfigError) as info:
        DependencyHealth.from_config(
            {
                "name": "svc",
                "group": "team",
                "dependencies": {
                    "ldap": {"url": "ldap://h", "critical": True, "check_method": "search"}
                },
            }
        )
    assert info.value.field == "base_dn"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"check_method": "search"}, "base_dn"),
        ({"check_method": "simple_bind", "bind_password": "x"}, "bind_dn"),
        ({"check_method": "simple_bind", "bind_dn": "cn=x"}, "bind_password"),
        ({"check_method": "whoami"}, "check_method"),
        ({"search_scope": "everything"}, "search_scope"),
        ({"start_tls": True, "url": "ldaps://127.0.0.1:636"}, "start_tls"),
    ],
)
def test_bad_options_fail_at_construction(options: dict[str, object], field: str) -> None:
    """Contract violations are ConfigErrors naming the field, before any check runs."""
    options.setdefault("url", "ldap://127.0.0.1:389")
    with pytest.raises(ConfigError) as info:
        DependencyHealth("svc", "team", ldap_check("ldap", critical=True, **options))  # type: ignore[arg-type]
    assert info.value.field == field and info.value.dependency == "ldap"


@pytest.mark.parametrize(
    ("url", "options", "status", "detail"),
    [
        ("ldaps://127.0.0.1:{slapd}", {}, "tls_error", "tls_error"),
        ("ldap://127.0.0.1:{plain}", {"start_tls": True}, "tls_error", "tls_error"),
        ("{ldaps}", {}, "tls_error", "tls_error"),
        ("{ldaps}", {"tls_ca_file": "{ca}"}, "ok", "ok"),
        ("ldap://127.0.0.1:{slapd}", {"start_tls": True, "tls_ca_file": "{ca}"}, "ok", "ok"),
        ("ldap://127.0.0.1:{refused}", {}, "connection_error", "connection_refused"),
        ("ldap://no-such-host.invalid", {}, "dns_error", "dns_error"),
        ("ldap://127.0.0.1:{blackhole}", {}, "timeout", "timeout"),
    ],
)
async def test_failures_are_classified(
    slapd: PrivateSlapd,
    slapd_without_tls: PrivateSlapd,
    proxy: FaultProxy,
    url: str,
    options: dict[str, object],
    status: str,
    detail: str,
) -> None:
    """TLS failures, refused, unknown and silent servers get their own status; right CA: ok."""
    # tls_error: ldaps:// to the plain port, StartTLS to a slapd with no TLS, a certificate
    # from a CA the check does not trust.
    ca = str(tls_material().ca_pem)
    options = {k: v.format(ca=ca) if isinstance(v, str) else v for k, v in options.items()}
    proxy.blackhole()
    target = url.format(
        slapd=slapd.port,
        plain=slapd_without_tls.port,
        ldaps=slapd.ldaps_url,
        refused=free_port(),
        blackhole=proxy.port,
    )
    [result] = await check(ldap_check("ldap", url=target, critical=True, **FAST, **options))  # type: ignore[arg-type]
    proxy.pass_through()
    assert (result.status, result.detail) == (status, detail)


async def test_app_connection_alone_gives_the_endpoint(slapd: PrivateSlapd) -> None:
    """ldap_check(name, client=conn) reads host and port from the app's ldap3 Connection."""
    connection = app_connection(slapd)
    [status] = await check(ldap_check("ldap", client=connection, critical=True))
    connection.unbind()
    assert (status.host, status.port, status.detail) == ("127.0.0.1", str(slapd.port), "ok")


async def test_lazy_connection_is_resolved_at_start(slapd: PrivateSlapd) -> None:
    """client= takes a zero-argument callable, called when the checks start."""
    made: list[ldap3.Connection] = []
    dependency = ldap_check(
        "ldap", client=lambda: made.append(app_connection(slapd)) or made[-1], critical=True
    )
    dh = DependencyHealth("svc", "team", dependency, metrics=False)
    assert made == []
    [status] = (await dh.check_now()).values()
    made[0].unbind()
    assert status.detail == "ok"


def test_unsupported_client_and_binds_on_the_app_connection_are_refused(
    slapd: PrivateSlapd,
) -> None:
    """Not an ldap3 Connection, or a bind that would re-bind the app's connection: ConfigError."""
    with pytest.raises(ConfigError) as info:
        DependencyHealth("svc", "team", ldap_check("ldap", client=object(), critical=True))
    assert "builtins.object" in str(info.value) and "ldap3.Connection" in str(info.value)
    connection = app_connection(slapd)
    with pytest.raises(ConfigError) as info:
        ldap_check(
            "ldap", client=connection, check_method="anonymous_bind", critical=True
        ).validate()
    connection.unbind()
    assert info.value.field == "check_method"


async def test_checks_do_not_disturb_the_app_using_its_connection(slapd: PrivateSlapd) -> None:
    """The app's own searches, run meanwhile from a thread, all get their right answers."""
    connection = app_connection(slapd)
    answers: list[bool] = []

    def app_work() -> None:
        for _ in range(150):
            connection.search(slapd.suffix, "(dc=example)", attributes=["dc"])
            answers.append(
                len(connection.entries) == 1 and connection.entries[0].dc.value == "example"
            )

    worker = threading.Thread(target=app_work)
    dh = DependencyHealth(
        "svc",
        "team",
        ldap_check("ldap", client=connection, check_method="ROOT_DSE", critical=True),
        metrics=False,
    )
    worker.start()
    details = [next(s.detail for s in (await dh.check_now()).values()) for _ in range(100)]
    worker.join()
    connection.unbind()
    assert details == ["ok"] * 100
    assert answers == [True] * 150


async def test_standalone_checks_leave_no_socket(slapd: PrivateSlapd, proxy: FaultProxy) -> None:
    """A hundred and more checks, some abandoned by the timeout mid-search, leave no socket."""
    direct = [
        ldap_check(f"direct-{i}", url=f"ldap://127.0.0.1:{slapd.port}", critical=True)
        for i in range(10)
    ]
    proxied = [
        ldap_check(f"proxied-{i}", url=f"ldap://127.0.0.1:{proxy.port}", critical=True, **FAST)
        for i in range(3)
    ]
    dh = DependencyHealth("svc", "team", *direct, *proxied, metrics=False)
    details: list[str] = []
    for round_number in range(10):
        black_hole(proxy, round_number == 4)
        details += [s.detail for s in (await dh.check_now()).values()]
    proxy.pass_through()
    assert details.count("ok") >= 100 + 3 * 5 and details.count("timeout") >= 3
    assert set(details) == {"ok", "timeout"}
    assert await settle(lambda: own_sockets_to(proxy.port) == 0)
    assert await settle(lambda: own_sockets_to(slapd.port) == 0)


async def test_app_connection_checks_open_no_socket_of_their_own(
    slapd: PrivateSlapd, proxy: FaultProxy
) -> None:
    """Checks on the app's connection, some abandoned mid-search, never add a connection."""
    server = ldap3.Server("127.0.0.1", port=proxy.port)
    # Blocking calls through the in-process proxy go to a thread, so the proxy can run.
    connection = await asyncio.to_thread(
        ldap3.Connection, server, receive_timeout=1, auto_bind=True
    )
    # A roomy timeout: the blocking driver through the proxy is slow on a loaded machine.
    dependency = ldap_check("ldap", client=connection, critical=True, timeout=1, interval=2)
    dh = DependencyHealth("svc", "team", dependency, metrics=False)
    details: list[str] = []
    most = 0
    for round_number in range(100):
        black_hole(proxy, round_number == 50)
        details += [s.detail for s in (await dh.check_now()).values()]
        most = max(most, own_sockets_to(proxy.port))
    proxy.pass_through()
    assert details[:50] == ["ok"] * 50 and details[50] == "timeout"
    assert most == 1
    await asyncio.to_thread(connection.unbind)
    assert await settle(lambda: own_sockets_to(proxy.port) == 0)
    assert await settle(lambda: own_sockets_to(slapd.port) == 0)
