"""dephealth_django: dependency checks for Django, through Django's own connections.

Add ``"dephealth_django"`` to ``INSTALLED_APPS``, a ``DEPHEALTH`` dict to the settings and
``path("", include("dephealth_django.urls"))`` to the URLconf. PostgreSQL/MySQL
``DATABASES`` and Redis ``CACHES`` are discovered; checks start on the first request a
process serves and stop at exit.
"""

from __future__ import annotations

from ._checkers import CacheChecker, DatabaseChecker
from ._discovery import cache_check, database_check
from ._runtime import get_dependency_health

__all__ = [
    "CacheChecker",
    "DatabaseChecker",
    "cache_check",
    "database_check",
    "get_dependency_health",
]
