"""The Flask extension with app factories: configuration, apps per process, when checks start."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from prometheus_client import CollectorRegistry

import dephealth_flask
from dephealth_core import ConfigError, tcp_check
from dephealth_flask import DepHealth

from .conftest import wait_for_status

AppFactory = Callable[..., Flask]


def test_public_surface_is_pinned() -> None:
    """The package exports exactly its documented names."""
    assert dephealth_flask.__all__ == [
        "EXTENSION_KEY",
        "DepHealth",
        "DepHealthState",
        "StartMode",
        "make_blueprint",
    ]


def test_app_factory_gives_each_app_its_own_engine_and_registry(
    make_app: AppFactory, listener: int
) -> None:
    """One extension object serves two apps, each with its own engine and metrics."""
    dephealth = DepHealth(
        None, tcp_check("cache", host="127.0.0.1", port=listener, critical=True), metrics=True
    )
    first = make_app(DEPHEALTH_NAME="first", DEPHEALTH_GROUP="team")
    second = make_app(DEPHEALTH_NAME="second", DEPHEALTH_GROUP="team")
    dephealth.init_app(first)
    dephealth.init_app(second)
    assert dephealth.get_engine(first) is not dephealth.get_engine(second)
    for app, name in ((first, "first"), (second, "second")):
        client = app.test_client()
        wait_for_status(client, "/readyz", 200)
        metrics = client.get("/metrics").get_data(as_text=True)
        assert f'name="{name}"' in metrics
        other = "second" if name == "first" else "first"
        assert f'name="{other}"' not in metrics
    with first.app_context():
        assert dephealth.engine is dephealth.get_engine(first)
        assert dephealth.health() == {"cache": True}


def test_a_second_init_app_on_the_same_app_is_refused(make_app: AppFactory, listener: int) -> None:
    """Registering the extension twice on one app fails loudly instead of doubling checks."""
    app = make_app(DEPHEALTH_NAME="svc", DEPHEALTH_GROUP="team")
    dependency = tcp_check("cache", host="127.0.0.1", port=listener, critical=True)
    DepHealth(app, dependency)
    with pytest.raises(RuntimeError, match="already has a dephealth extension"):
        DepHealth(app, dependency)


def test_a_shared_registry_fails_with_a_clear_error(make_app: AppFactory, listener: int) -> None:
    """Two apps given the same registry get a ConfigError that names the registry."""
    registry = CollectorRegistry()
    dephealth = DepHealth(
        None,
        tcp_check("cache", host="127.0.0.1", port=listener, critical=True),
        registry=registry,
    )
    dephealth.init_app(make_app(DEPHEALTH_NAME="first", DEPHEALTH_GROUP="team"))
    with pytest.raises(ConfigError) as caught:
        dephealth.init_app(make_app(DEPHEALTH_NAME="second", DEPHEALTH_GROUP="team"))
    assert caught.value.field == "registry"


def test_flat_config_keys_declare_dependencies(make_app: AppFactory, listener: int) -> None:
    """DEPHEALTH_* keys of app.config name the service and declare a dependency."""
    app = make_app(
        DEPHEALTH_NAME="from-config",
        DEPHEALTH_GROUP="team",
        DEPHEALTH_CACHE_URL=f"tcp://127.0.0.1:{listener}",
        DEPHEALTH_CACHE_CRITICAL=True,
        DEPHEALTH_CACHE_LABEL_ZONE="a",
        DEPHEALTH_CHECK_INTERVAL=6,
    )
    dephealth = DepHealth(app, metrics=True)
    engine = dephealth.get_engine(app)
    assert (engine.name, engine.group) == ("from-config", "team")
    assert engine.defaults.interval == 6
    client = app.test_client()
    wait_for_status(client, "/readyz", 200)
    assert 'zone="a"' in client.get("/metrics").get_data(as_text=True)


def test_code_beats_environment_beats_config(
    make_app: AppFactory, listener: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A keyword in code wins over the environment, which wins over app.config."""
    monkeypatch.setenv("DEPHEALTH_GROUP", "from-env")
    monkeypatch.setenv("DEPHEALTH_TIMEOUT", "2")
    app = make_app(
        DEPHEALTH_NAME="from-config",
        DEPHEALTH_GROUP="from-config",
        DEPHEALTH_TIMEOUT=3,
        DEPHEALTH_CHECK_INTERVAL=9,
    )
    engine = DepHealth(
        app, tcp_check("cache", host="127.0.0.1", port=listener, critical=True), name="from-code"
    ).get_engine(app)
    assert (engine.name, engine.group) == ("from-code", "from-env")
    assert (engine.defaults.timeout, engine.defaults.interval) == (2, 9)


def test_config_fills_what_code_left_unset_for_a_code_dependency(
    make_app: AppFactory, listener: int
) -> None:
    """DEPHEALTH_<DEP>_* keys tune a dependency declared in code without overriding it."""
    app = make_app(
        DEPHEALTH_NAME="svc",
        DEPHEALTH_GROUP="team",
        DEPHEALTH_CACHE_TIMEOUT=2,
        DEPHEALTH_CACHE_PORT=1,
    )
    engine = DepHealth(
        app, tcp_check("cache", host="127.0.0.1", port=listener, critical=True)
    ).get_engine(app)
    (dependency,) = engine.dependencies
    assert dependency.timeout == 2
    assert dependency.port == listener


def test_unknown_config_key_of_a_code_dependency_names_it(
    make_app: AppFactory, listener: int
) -> None:
    """A misspelt DEPHEALTH_<DEP>_ key fails at init_app, naming the dependency and field."""
    app = make_app(DEPHEALTH_NAME="svc", DEPHEALTH_GROUP="team", DEPHEALTH_CACHE_INTERVL=5)
    with pytest.raises(ConfigError) as caught:
        DepHealth(app, tcp_check("cache", host="127.0.0.1", port=listener, critical=True))
    assert (caught.value.dependency, caught.value.field) == ("cache", "intervl")


def test_view_options_come_from_config(make_app: AppFactory, listener: int) -> None:
    """DEPHEALTH_PREFIX and DEPHEALTH_METRICS move the views and add /metrics."""
    app = make_app(
        DEPHEALTH_NAME="svc",
        DEPHEALTH_GROUP="team",
        DEPHEALTH_PREFIX="/ops",
        DEPHEALTH_METRICS="true",
    )
    DepHealth(app, tcp_check("cache", host="127.0.0.1", port=listener, critical=True))
    client = app.test_client()
    wait_for_status(client, "/ops/readyz", 200)
    assert client.get("/readyz").status_code == 404
    assert client.get("/ops/metrics").status_code == 200


def test_bad_start_option_is_a_config_error(make_app: AppFactory, listener: int) -> None:
    """An unknown DEPHEALTH_START value fails at init_app."""
    app = make_app(DEPHEALTH_NAME="svc", DEPHEALTH_GROUP="team", DEPHEALTH_START="later")
    with pytest.raises(ConfigError) as caught:
        DepHealth(app, tcp_check("cache", host="127.0.0.1", port=listener, critical=True))
    assert caught.value.field == "start"


def test_checks_start_at_the_first_request_by_default(make_app: AppFactory, listener: int) -> None:
    """No thread runs checks until the app serves its first request; then they run."""
    app = make_app(DEPHEALTH_NAME="svc", DEPHEALTH_GROUP="team")
    dephealth = DepHealth(app, tcp_check("cache", host="127.0.0.1", port=listener, critical=True))
    assert not dephealth.get_engine(app).running
    client = app.test_client()
    client.get("/anything")
    assert dephealth.get_engine(app).running
    wait_for_status(client, "/readyz", 200)


def test_start_at_init_app_runs_checks_before_any_request(
    make_app: AppFactory, listener: int
) -> None:
    """start="init_app" has results before the first probe arrives."""
    app = make_app(DEPHEALTH_NAME="svc", DEPHEALTH_GROUP="team")
    dephealth = DepHealth(
        app, tcp_check("cache", host="127.0.0.1", port=listener, critical=True), start="init_app"
    )
    assert dephealth.get_engine(app).running


@pytest.mark.parametrize(
    ("environ", "debug", "started"),
    [
        ({"FLASK_RUN_FROM_CLI": "true"}, False, False),
        ({}, True, False),
        ({"FLASK_RUN_FROM_CLI": "true", "WERKZEUG_RUN_MAIN": "true"}, True, True),
    ],
    ids=["flask-command", "debug-watcher", "reloader-child"],
)
def test_start_at_init_app_waits_in_the_reloader_watcher(
    make_app: AppFactory,
    listener: int,
    monkeypatch: pytest.MonkeyPatch,
    environ: dict[str, str],
    debug: bool,
    started: bool,
) -> None:
    """Under `flask run` or debug mode only the reloader's child starts checks at init_app."""
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    app = make_app(DEPHEALTH_NAME="svc", DEPHEALTH_GROUP="team", DEBUG=debug)
    dephealth = DepHealth(
        app, tcp_check("cache", host="127.0.0.1", port=listener, critical=True), start="init_app"
    )
    assert dephealth.get_engine(app).running is started
    app.test_client().get("/readyz")
    assert dephealth.get_engine(app).running


def test_manual_start_waits_for_start(make_app: AppFactory, listener: int) -> None:
    """start="manual" never starts by itself; DepHealth.start does, DepHealth.stop ends it."""
    app = make_app(DEPHEALTH_NAME="svc", DEPHEALTH_GROUP="team")
    dephealth = DepHealth(
        app, tcp_check("cache", host="127.0.0.1", port=listener, critical=True), start="manual"
    )
    client = app.test_client()
    assert b"checks not running" in client.get("/readyz?verbose").data
    assert not dephealth.get_engine(app).running
    dephealth.start(app)
    wait_for_status(client, "/readyz", 200)
    dephealth.stop(app)
    assert client.get("/readyz").status_code == 503


def test_a_failing_start_does_not_break_the_app(
    make_app: AppFactory, listener: int, caplog: pytest.LogCaptureFixture
) -> None:
    """A lazy pool that cannot be resolved is logged once; the app keeps serving its routes."""
    app = make_app(DEPHEALTH_NAME="svc", DEPHEALTH_GROUP="team")

    def broken() -> object:
        raise RuntimeError("no pool yet")

    from .conftest import probe_check

    DepHealth(app, probe_check("db", pool=broken))

    @app.get("/hello")
    def hello() -> str:
        return "hello"

    client = app.test_client()
    assert client.get("/hello").data == b"hello"
    assert client.get("/hello").data == b"hello"
    assert b"checks not running" in client.get("/readyz?verbose").data
    failures = [r for r in caplog.records if "could not start the checks" in r.getMessage()]
    assert len(failures) == 1
    assert "no pool yet" not in failures[0].getMessage()


def test_the_extension_accepts_only_a_flask_app() -> None:
    """Passing a dependency where the app goes gives a TypeError that says so."""
    with pytest.raises(TypeError, match="must be a Flask app"):
        DepHealth(tcp_check("cache", host="127.0.0.1", port=1, critical=True))  # type: ignore[arg-type]


def test_nothing_of_ours_runs_per_request_after_the_first(
    make_app: AppFactory, listener: int
) -> None:
    """After the first request, the app's WSGI callable is its own again: no per-request cost."""
    app = make_app(DEPHEALTH_NAME="svc", DEPHEALTH_GROUP="team")
    original = app.wsgi_app
    DepHealth(app, tcp_check("cache", host="127.0.0.1", port=listener, critical=True))
    assert app.wsgi_app != original
    app.test_client().get("/readyz")
    assert app.wsgi_app == original
    assert not app.before_request_funcs


def test_middleware_added_after_init_app_stays_in_place(
    make_app: AppFactory, listener: int
) -> None:
    """A ProxyFix wrapped around the app after init_app keeps working and checks still start."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    app = make_app(DEPHEALTH_NAME="svc", DEPHEALTH_GROUP="team")
    dephealth = DepHealth(app, tcp_check("cache", host="127.0.0.1", port=listener, critical=True))
    app.wsgi_app = ProxyFix(app.wsgi_app)  # type: ignore[method-assign]

    @app.get("/scheme")
    def scheme() -> str:
        from flask import request

        return request.scheme

    client = app.test_client()
    assert client.get("/scheme", headers={"X-Forwarded-Proto": "https"}).data == b"https"
    assert isinstance(app.wsgi_app, ProxyFix)
    assert dephealth.get_engine(app).running
    wait_for_status(client, "/readyz", 200)
