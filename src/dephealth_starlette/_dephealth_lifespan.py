"""``dephealth_lifespan``: dephealth's lifespan factory for FastAPI and Starlette apps."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from dephealth_core import Dependency, DependencyHealth

from ._lifespan import STATE_KEY

if TYPE_CHECKING:
    from prometheus_client.registry import CollectorRegistry


def dephealth_lifespan(
    name: str,
    group: str,
    *specs: Dependency,
    check_interval: timedelta | float | None = None,
    timeout: timedelta | float | None = None,
    registry: CollectorRegistry | None = None,
    log: logging.Logger | None = None,
    **options: Any,
) -> Callable[[Any], AbstractAsyncContextManager[dict[str, Any]]]:
    """A lifespan for ``FastAPI(lifespan=...)`` / ``Starlette(lifespan=...)``.

    The instance is built here, so bad configuration fails when the app is declared; the
    lifespan publishes it at ``app.state.dephealth`` (and as ``"dephealth"`` in the lifespan
    state), starts the checks and stops them at shutdown.

    Args:
        name: the service name.
        group: the service group.
        *specs: the dependencies, from the factories.
        check_interval: the default interval (``timedelta`` or seconds).
        timeout: the default timeout.
        registry: where the metrics are registered (prometheus_client's default otherwise).
        log: the logger of the instance.
        **options: any other ``DependencyHealth`` option.
    """
    dh = DependencyHealth(
        name,
        group,
        *specs,
        check_interval=check_interval,
        timeout=timeout,
        registry=registry,
        log=log,
        **options,
    )

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[dict[str, Any]]:
        setattr(app.state, STATE_KEY, dh)
        await dh.start()
        try:
            yield {STATE_KEY: dh}
        finally:
            await dh.stop()

    return lifespan
