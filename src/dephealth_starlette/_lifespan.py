"""Ties the checks to the ASGI lifespan of the wrapped app.

Order matters on both ends. At startup the checks start only once the app's own startup
has completed, so the pools it puts in ``app.state`` exist when lazy ``pool=`` callables
are resolved. At shutdown ``/readyz`` fails first (``stop()`` publishes a *stopping*
snapshot before it waits for checks in flight), the checks stop, and only then does the
app's own shutdown close its pools, so no check ever borrows from a closed pool.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dephealth_core import ConfigError, DependencyHealth

logger = logging.getLogger("dephealth")

#: The attribute of ``app.state`` (and key of the lifespan state) the instance is found at.
STATE_KEY = "dephealth"


def find_dephealth(scope: Scope, app: ASGIApp) -> DependencyHealth | None:
    """The instance the app published: ``app.state.dephealth`` or the lifespan state."""
    state = scope.get("state")
    if isinstance(state, dict):
        found = state.get(STATE_KEY)
        if isinstance(found, DependencyHealth):
            return found
    for owner in (scope.get("app"), app):
        app_state = getattr(owner, "state", None)
        found = getattr(app_state, STATE_KEY, None)
        if isinstance(found, DependencyHealth):
            return found
    return None


async def run_lifespan(
    app: ASGIApp,
    scope: Scope,
    receive: Receive,
    send: Send,
    resolve: Callable[[Scope], DependencyHealth | None],
) -> None:
    """Run the app's lifespan: checks start after its startup and stop before its shutdown.

    Args:
        app: the wrapped ASGI app; it answers the lifespan messages itself.
        scope: the ``lifespan`` scope.
        receive: the server's ``receive``.
        send: the server's ``send``.
        resolve: returns the instance to run once the app's startup is complete.
    """
    started: list[DependencyHealth] = []

    async def send_after_startup(message: Message) -> None:
        if message["type"] == "lifespan.startup.complete":
            engine = resolve(scope)
            if engine is None:
                # Raising here makes Starlette run the app's own shutdown, then report
                # lifespan.startup.failed with this message: the server refuses to start.
                raise ConfigError(
                    "DepHealthMiddleware found no DependencyHealth: pass dephealth=... or "
                    "set app.state.dephealth in the app's lifespan"
                )
            if engine.running:
                logger.debug("dephealth: checks already started by the app name=%s", engine.name)
            else:
                await engine.start()
            started.append(engine)
        await send(message)

    async def receive_with_stop() -> Message:
        message: Message = await receive()
        if message["type"] == "lifespan.shutdown":
            for engine in started:
                await _stop(engine)
            started.clear()
        return message

    await app(scope, receive_with_stop, send_after_startup)


async def _stop(engine: DependencyHealth) -> None:
    try:
        await engine.stop()
    except Exception as exc:
        # The app's own shutdown must still run and close its pools.
        logger.error("dephealth: stopping checks failed error=%s", type(exc).__name__)
