"""dephealth for Starlette and FastAPI: a pure ASGI middleware that serves the health views
and starts the checks after the app's startup, stopping them before its shutdown.

``dependencies_router`` (FastAPI) is imported on first use, so FastAPI stays optional.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._dephealth_lifespan import dephealth_lifespan
from ._install import install
from ._middleware import DepHealthMiddleware

if TYPE_CHECKING:
    from .fastapi import dependencies_router

__all__ = ["DepHealthMiddleware", "dependencies_router", "dephealth_lifespan", "install"]


def __getattr__(name: str) -> Any:
    if name == "dependencies_router":
        from .fastapi import dependencies_router

        return dependencies_router
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
