"""The public surface of dephealth_django."""

from __future__ import annotations

import dephealth_django


def test_all_is_pinned() -> None:
    """The names users import stay the same."""
    assert dephealth_django.__all__ == [
        "CacheChecker",
        "DatabaseChecker",
        "cache_check",
        "database_check",
        "get_dependency_health",
    ]
