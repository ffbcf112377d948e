"""Bad configuration: nothing but a ConfigError with a message escapes, and it quotes no secret."""

from __future__ import annotations

import re
import string
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dephealth_core import (
    ConfigError,
    Dependency,
    DependencyHealth,
    HealthViews,
    http_check,
    mysql_check,
    postgres_check,
    redis_check,
    tcp_check,
)
from dephealth_core._config import parse_flat
from dephealth_core._kinds import FACTORIES
from dephealth_core._urls import parse_url
from dephealth_starlette import DepHealthMiddleware

from .config_strategies import (
    TYPES,
    any_url,
    configs,
    env_values,
    environments,
    toml_documents,
    urls,
    values,
)

SCHEMES = ("postgres", "mysql", "redis", "amqp", "http", "kafka", "ldap", "tcp")


@pytest.mark.parametrize("separator", ["/", "?", "#"])
@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_password_with_reserved_characters_stays_out_of_the_error(
    scheme: str, separator: str
) -> None:
    """A password with an unencoded '/', '?' or '#' fails with an error that does not quote it."""
    head = "Hunter2secret"
    url = f"{scheme}://user:{head}{separator}rest@db.example:5432/app"
    with pytest.raises(ConfigError) as caught:
        DependencyHealth(
            "svc",
            "team",
            environ={"DEPHEALTH_DB_URL": url, "DEPHEALTH_DB_CRITICAL": "yes"},
            metrics=False,
        )
    assert caught.value.field == "url"
    assert "percent-encode" in str(caught.value)
    assert head not in str(caught.value)


@pytest.mark.timeout(10)
def test_a_huge_range_of_expected_statuses_fails_at_once() -> None:
    """``expected_statuses="100-99999999999"`` is refused at once, not after filling memory."""
    with pytest.raises(ConfigError, match="between 100 and 599") as caught:
        DependencyHealth(
            "svc",
            "team",
            http_check(
                "api", url="http://api.example/", expected_statuses="100-99999999999", critical=True
            ),
            metrics=False,
        )
    assert caught.value.field == "expected_statuses"


@pytest.mark.parametrize(
    ("field", "dependency"),
    [
        ("port", tcp_check("t", host="db.example", port="²", critical=True)),
        ("port", tcp_check("t", url="tcp://db.example:²", critical=True)),
        (
            "failure_threshold",
            tcp_check("t", url="tcp://db.example:1", failure_threshold="²", critical=True),
        ),
        ("db", redis_check("r", url="redis://cache.example/²", critical=True)),
        (
            "expected_statuses",
            http_check("h", url="http://a.example/", expected_statuses="²", critical=True),
        ),
        (
            "expected_statuses",
            http_check("h", url="http://a.example/", expected_statuses="1²-3", critical=True),
        ),
    ],
)
def test_digits_that_are_not_decimal_are_config_errors(field: str, dependency: Dependency) -> None:
    """A superscript digit where a number belongs is a ConfigError naming the field."""
    with pytest.raises(ConfigError) as caught:
        DependencyHealth("svc", "team", dependency, metrics=False)
    assert caught.value.field == field


@pytest.mark.parametrize("content", [None, b"not a certificate\n"])
@pytest.mark.parametrize(
    ("field", "make"),
    [
        (
            "tls_ca_file",
            lambda ca: http_check("h", url="https://a.example/", tls_ca_file=ca, critical=True),
        ),
        (
            "sslrootcert",
            lambda ca: postgres_check(
                "p",
                url="postgres://a.example/db",
                sslmode="verify-full",
                sslrootcert=ca,
                critical=True,
            ),
        ),
        (
            "ssl_ca",
            lambda ca: mysql_check(
                "m", url="mysql://a.example/db", ssl_mode="verify_ca", ssl_ca=ca, critical=True
            ),
        ),
    ],
)
def test_a_ca_file_that_cannot_be_loaded_is_a_config_error(
    field: str, make: Callable[[str], Dependency], content: bytes | None, tmp_path: Path
) -> None:
    """A missing or invalid CA file fails at construction with a ConfigError naming the field."""
    ca = tmp_path / "ca.pem"
    if content is not None:
        ca.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        DependencyHealth("svc", "team", make(str(ca)), metrics=False)
    assert caught.value.field == field


# -- properties: whatever the input, a DependencyHealth or a ConfigError with a message -----

PROPERTY = settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _config_error_or_engine(build: Callable[[], Any]) -> None:
    try:
        build()
    except ConfigError as exc:
        message = str(exc)
    else:
        return
    assert message.strip()


@PROPERTY
@given(config=configs())
def test_any_mapping_gives_an_engine_or_a_config_error(config: dict[str, Any]) -> None:
    """A settings mapping (Django, Flask) never raises anything but a ConfigError."""
    _config_error_or_engine(lambda: DependencyHealth.from_config(config, environ={}, metrics=False))


@PROPERTY
@given(document=toml_documents)
def test_any_toml_file_gives_an_engine_or_a_config_error(document: str) -> None:
    """A TOML file, valid or not, never raises anything but a ConfigError."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "dephealth.toml"
        path.write_text(document, encoding="utf-8", errors="surrogatepass")
        _config_error_or_engine(
            lambda: DependencyHealth.from_config(toml_path=path, environ={}, metrics=False)
        )


@PROPERTY
@given(environ=environments)
def test_any_environment_gives_an_engine_or_a_config_error(environ: dict[str, str]) -> None:
    """DEPHEALTH_* variables, whatever they hold, never raise anything but a ConfigError."""
    _config_error_or_engine(lambda: DependencyHealth(environ=environ, metrics=False))
    _config_error_or_engine(lambda: DependencyHealth.from_config(environ=environ, metrics=False))


@PROPERTY
@given(config=st.dictionaries(st.text(max_size=30), env_values, max_size=6), environ=environments)
def test_any_flat_config_gives_an_engine_or_a_config_error(
    config: dict[str, str], environ: dict[str, str]
) -> None:
    """Flat DEPHEALTH_* keys in an app config (Flask's form) give an engine or a ConfigError."""
    flat = {**environ, **{f"DEPHEALTH_{k}": v for k, v in config.items()}}
    _config_error_or_engine(
        lambda: DependencyHealth.from_config(parse_flat(flat), environ={}, metrics=False)
    )


@PROPERTY
@given(url=any_url, kind=st.sampled_from(TYPES), pool=st.booleans())
def test_any_url_gives_an_engine_or_a_config_error(url: str, kind: str, pool: bool) -> None:
    """Any URL given to any factory (and to parse_url) gives an engine or a ConfigError."""
    _config_error_or_engine(lambda: parse_url(url, dependency="d"))
    factory = FACTORIES[kind]
    _config_error_or_engine(
        lambda: DependencyHealth("svc", "team", factory("d", url=url, critical=True), metrics=False)
    )


PASSWORDS = st.text(
    alphabet=string.ascii_uppercase + string.digits + "/?#@:[]%", min_size=4, max_size=16
).map(lambda text: "PW" + text)


@PROPERTY
@given(data=st.data(), kind=st.sampled_from(TYPES))
def test_no_error_about_a_url_quotes_its_password(data: st.DataObject, kind: str) -> None:
    """However a URL with a password is malformed, the error never quotes the password."""
    password = data.draw(PASSWORDS)
    url = data.draw(urls(password=st.just(password)))
    try:
        DependencyHealth("svc", "team", FACTORIES[kind]("d", url=url, critical=True), metrics=False)
    except ConfigError as exc:
        message = str(exc)
        # The password, and what stands before its first reserved character, which a
        # malformed URL may cut off as a host or a port.
        head = re.split(r"[/?#@:\[\]%]", password, maxsplit=1)[0]
        assert password not in message
        assert len(head) < 4 or head not in message


VIEW_OPTIONS = [
    {"prefix": 5},
    {"prefix": "ops"},
    {"paths": {"livez": 5}},
    {"paths": {"livez": "/same", "readyz": "/same"}},
    {"paths": {"livez": "/health"}},
    {"paths": {"nope": "/x"}},
    {"show_details": "sometimes"},
    {"show_details": "token", "details_token": 5},
    {"show_details": "token"},
]


@pytest.mark.parametrize("options", VIEW_OPTIONS)
def test_bad_view_options_are_config_errors(options: dict[str, Any]) -> None:
    """Views given a wrong type, a clash of paths or a missing token fail with a ConfigError."""
    engine = DependencyHealth("svc", "team", metrics=False)
    with pytest.raises(ConfigError):
        HealthViews(engine, **options)
    with pytest.raises(ConfigError):
        DepHealthMiddleware(lambda scope, receive, send: None, dephealth=engine, **options)


VIEW_NAMES = ["dependencies", "livez", "readyz", "health", "details", "metrics"]
view_options = st.fixed_dictionaries(
    {},
    optional={
        "prefix": st.one_of(st.sampled_from(["", "/ops", "/ops/", "ops"]), values),
        "paths": st.one_of(
            st.dictionaries(
                st.one_of(st.sampled_from(VIEW_NAMES), st.text(max_size=6)),
                st.one_of(st.none(), st.sampled_from(["/a", "/b", "/livez", "", "x"]), values),
                max_size=4,
            ),
            values,
        ),
        "show_details": st.one_of(st.sampled_from(["never", "token", "always", "x"]), values),
        "details_token": st.one_of(st.just("t0ken"), values),
        "metrics": st.booleans(),
    },
)


@PROPERTY
@given(options=view_options)
def test_any_view_options_give_views_or_a_config_error(options: dict[str, Any]) -> None:
    """Whatever the prefix, paths and detail settings, the views build or a ConfigError says why."""
    engine = DependencyHealth("svc", "team", metrics=False)
    _config_error_or_engine(lambda: HealthViews(engine, **options))


@pytest.mark.parametrize("dotted", [".x", "..a.b", "a.", "no.such.module.view"])
def test_a_show_details_path_that_cannot_be_imported_is_a_config_error(dotted: str) -> None:
    """A DEPHEALTH show_details that is not an importable callable is a ConfigError."""
    from dephealth_django._settings import read_options

    with pytest.raises(ConfigError) as caught:
        read_options({"show_details": dotted})
    assert caught.value.field == "show_details"


django_settings = st.dictionaries(
    st.one_of(
        st.sampled_from(
            [
                "name",
                "group",
                "check_interval",
                "timeout",
                "dependencies",
                "prefix",
                "paths",
                "show_details",
                "details_token",
                "metrics",
                "discover",
                "databases",
                "caches",
                "autostart",
            ]
        ),
        st.text(max_size=8),
    ),
    st.one_of(values, st.sampled_from([".x", "..a.b", "os.getcwd", "token", "never"])),
    max_size=5,
)


@PROPERTY
@given(config=django_settings)
def test_any_django_settings_give_options_or_a_config_error(config: dict[str, Any]) -> None:
    """A DEPHEALTH settings dict of any shape is read, or refused with a ConfigError."""
    from dephealth_django._settings import read_options

    def build() -> None:
        options = read_options(config)
        engine = DependencyHealth.from_config(options.engine, environ={}, metrics=False)
        HealthViews(
            engine,
            prefix=options.prefix,
            paths=options.paths,
            show_details=options.show_details,  # type: ignore[arg-type]
            details_token=options.details_token,
            metrics=options.metrics,
        )

    _config_error_or_engine(build)
