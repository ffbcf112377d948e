"""``path("", include("dephealth_django.urls"))`` serves the health views.

The paths come from ``DEPHEALTH`` (``prefix``, ``paths``) each time a URL is resolved, so
``override_settings`` applies without reloading the URLconf. Under ASGI the async view is
chosen (URL resolution runs on the event loop there), under WSGI the sync one.
"""

from __future__ import annotations

import asyncio
import logging

from django.urls import URLPattern
from django.urls.resolvers import RegexPattern, ResolverMatch

from dephealth_core import ConfigError

from ._runtime import get_runtime
from .views import async_health_view, health_view

logger = logging.getLogger("dephealth")

app_name = "dephealth"


class HealthURLPattern(URLPattern):
    """Matches the paths the configured :class:`~dephealth_core.HealthViews` serves."""

    def __init__(self) -> None:
        super().__init__(RegexPattern(r"^(?P<path>.+)\Z", name="health"), health_view, {}, "health")
        self._config_error_logged = False
        self._matches: dict[tuple[str, bool], ResolverMatch] = {}

    def resolve(self, path: str) -> ResolverMatch | None:
        try:
            views = get_runtime().views
        except ConfigError as exc:
            if not self._config_error_logged:
                logger.error("dephealth: health views disabled, bad DEPHEALTH settings: %s", exc)
                self._config_error_logged = True
            return None
        view = views.match("/" + path)
        if view is None:
            return None
        # Under ASGI Django resolves on the event loop; asking without raising is cheaper.
        is_async = asyncio.events._get_running_loop() is not None
        match = self._matches.get((view, is_async))
        if match is None:
            # Django never changes a ResolverMatch it gets back, so one per view is reused.
            match = ResolverMatch(
                async_health_view if is_async else health_view,
                (),
                {"view": view},
                "health",
                route=str(self.pattern),
                captured_kwargs={"view": view},
                extra_kwargs={},
            )
            if len(self._matches) < 64:
                self._matches[(view, is_async)] = match
        return match


urlpatterns = [HealthURLPattern()]
