"""Pools and clients handed to checks: lazy references resolved in the app's context."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app

from dephealth_flask import DepHealth

from .conftest import ProbePool, probe_check, wait_for_status

AppFactory = Callable[..., Flask]


def test_lazy_pool_is_resolved_inside_the_app_context(make_app: AppFactory, listener: int) -> None:
    """A lambda that needs current_app resolves when checks start, and checks borrow from it."""
    app = make_app(DEPHEALTH_NAME="svc", DEPHEALTH_GROUP="team")
    app.extensions["probe_pool"] = ProbePool(listener)
    resolved: list[str] = []

    def pool() -> ProbePool:
        resolved.append(current_app.name)
        found: ProbePool = current_app.extensions["probe_pool"]
        return found

    DepHealth(app, probe_check("db", pool=pool))
    assert resolved == []
    wait_for_status(app.test_client(), "/readyz", 200)
    assert resolved == [app.name]
    assert app.extensions["probe_pool"].borrowed >= 1


def test_each_app_resolves_its_own_pool(make_app: AppFactory, listener: int) -> None:
    """One extension declared at import time checks each app's own pool."""
    dephealth = DepHealth(None, probe_check("db", pool=lambda: current_app.extensions["pool"]))
    apps = []
    for name in ("first", "second"):
        app = make_app(DEPHEALTH_NAME=name, DEPHEALTH_GROUP="team")
        app.extensions["pool"] = ProbePool(listener)
        dephealth.init_app(app)
        apps.append(app)
    for app in apps:
        wait_for_status(app.test_client(), "/readyz", 200)
        assert app.extensions["pool"].borrowed >= 1


def test_a_pool_given_directly_is_used_as_is(make_app: AppFactory, listener: int) -> None:
    """A pool object passed directly needs no app context and is the one checks borrow from."""
    pool = ProbePool(listener)
    app = make_app(DEPHEALTH_NAME="svc", DEPHEALTH_GROUP="team")
    DepHealth(app, probe_check("db", pool=pool))
    wait_for_status(app.test_client(), "/readyz", 200)
    assert pool.borrowed >= 1
