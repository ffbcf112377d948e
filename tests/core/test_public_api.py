"""The public surface is curated: __all__ is pinned and sorted."""

from __future__ import annotations

import dephealth_core


def test_all_is_sorted_and_complete() -> None:
    """Every name in __all__ exists; the list is sorted; nothing private leaks."""
    names = dephealth_core.__all__
    assert names == sorted(names, key=lambda n: (not n.isupper(), n))
    for name in names:
        assert hasattr(dephealth_core, name)
    assert {
        "DependencyHealth",
        "tcp_check",
        "http_check",
        "grpc_check",
        "HealthViews",
        "ConfigError",
        "CheckError",
        "EndpointStatus",
    } <= set(names)
