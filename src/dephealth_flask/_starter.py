"""Starting the checks at the first request a process serves, then stepping out of the way."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask

if TYPE_CHECKING:
    from ._state import DepHealthState

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class StartOnFirstRequest:
    """Wraps ``app.wsgi_app`` until a request has started the checks, then unwraps itself.

    A WSGI wrapper rather than a ``before_request`` hook: after the first request the app's
    ``wsgi_app`` is the original again, so later requests pay nothing (a hook would cost a
    call through Flask's hook machinery on every request). Putting the original back is one
    attribute assignment, safe while other threads serve requests. When something has wrapped
    ``app.wsgi_app`` after us (``ProxyFix``...), we stay in its chain, at the cost of one
    attribute read per request.
    """

    def __init__(
        self, app: Flask, state: DepHealthState, first: Callable[[Flask], None] | None = None
    ) -> None:
        self.app = app
        self.state = state
        self.first = first
        self.wsgi_app: WsgiApp = app.wsgi_app

    def install(self) -> None:
        """Put this wrapper in front of the app."""
        self.app.wsgi_app = self  # type: ignore[method-assign]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if not self.state.attempted:
            if self.first is not None:
                self.first(self.app)
            self.state.start_safely()
            if self.app.__dict__.get("wsgi_app") is self:
                self.app.wsgi_app = self.wsgi_app
        return self.wsgi_app(environ, start_response)
