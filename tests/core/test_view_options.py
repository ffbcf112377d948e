"""ViewOptions: the one declaration of the views' options, validated at construction."""

from __future__ import annotations

from typing import Any

import pytest

from dephealth_core import ConfigError, ViewOptions


def test_defaults_serve_every_view_but_metrics() -> None:
    """By default every health view is served at its usual path and /metrics is not."""
    assert dict(ViewOptions().routes) == {
        "dependencies": "/health/dependencies",
        "livez": "/livez",
        "readyz": "/readyz",
        "health": "/health",
        "details": "/health/details",
    }


def test_prefix_paths_and_metrics_shape_the_routes() -> None:
    """A prefix applies to every path; None disables a view; metrics takes the boolean words."""
    options = ViewOptions(prefix="/ops", paths={"livez": "/alive", "health": None}, metrics="On")
    assert options.metrics is True
    assert options.routes["livez"] == "/ops/alive"
    assert options.routes["metrics"] == "/ops/metrics"
    assert "health" not in options.routes


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"prefix": "ops"}, "prefix"),
        ({"prefix": 3}, "prefix"),
        ({"paths": ["readyz"]}, "paths"),
        ({"paths": {"nope": "/x"}}, "paths"),
        ({"paths": {"livez": "/health"}}, "paths"),
        ({"show_details": "sometimes"}, "show_details"),
        ({"show_details": "token"}, "details_token"),
        ({"details_token": 5}, "details_token"),
        ({"metrics": "maybe"}, "metrics"),
    ],
)
def test_bad_options_name_the_field(options: dict[str, Any], field: str) -> None:
    """A bad option is a ConfigError naming its field."""
    with pytest.raises(ConfigError) as caught:
        ViewOptions(**options)
    assert caught.value.field == field


def test_the_token_never_shows_in_the_repr() -> None:
    """The details token stays out of the repr."""
    assert "s3cret" not in repr(ViewOptions(show_details="token", details_token="s3cret"))


def test_which_views_read_the_request() -> None:
    """Only the gated views read headers (token mode) or the request (a callable)."""
    assert ViewOptions().request_views == ViewOptions().header_views == frozenset()
    token = ViewOptions(show_details="token", details_token="t")
    assert token.header_views == {"health", "details"}
    assert token.request_views == frozenset()
    assert ViewOptions(show_details=lambda request: True).request_views == {"health", "details"}


def test_flat_keys_derive_from_the_fields() -> None:
    """The DEPHEALTH_* keys of the options come from the field names; no registry key."""
    assert ViewOptions.flat_keys() == {
        "DEPHEALTH_PREFIX": "prefix",
        "DEPHEALTH_PATHS": "paths",
        "DEPHEALTH_SHOW_DETAILS": "show_details",
        "DEPHEALTH_DETAILS_TOKEN": "details_token",
        "DEPHEALTH_METRICS": "metrics",
    }
    assert "registry" in ViewOptions.keywords()
