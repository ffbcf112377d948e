"""The one parser of flat DEPHEALTH_* keys."""

from __future__ import annotations

from dephealth_core._flat_keys import parse_flat_keys


def test_one_parser_reads_flat_keys_of_the_environment_and_app_configs() -> None:
    """parse_flat_keys gathers globals, each dependency's fields and labels, longest name first."""
    flat = parse_flat_keys(
        {
            "DEPHEALTH_NAME": " svc ",
            "DEPHEALTH_TIMEOUT": "",
            "DEPHEALTH_REDIS_TIMEOUT": "2",
            "DEPHEALTH_REDIS_CACHE_URL": "redis://cache:6379",
            "DEPHEALTH_REDIS_CACHE_LABEL_ROLE": "lru",
            "DEPHEALTH_API_EXPECTED_STATUSES": "[200, 204]",
            "DEPHEALTH_API_TYPE": "http",
            "DEPHEALTH_PREFIX": "/ops",
            "OTHER": "x",
        },
        ["redis"],
        ignore={"DEPHEALTH_PREFIX"},
    )
    assert flat.globals == {"name": "svc"}
    assert flat.declared == ["api", "redis-cache"]
    assert flat.dependencies == {
        "redis": {"timeout": "2"},
        "redis-cache": {"url": "redis://cache:6379", "labels": {"role": "lru"}},
        "api": {"expected_statuses": [200, 204], "type": "http"},
    }
