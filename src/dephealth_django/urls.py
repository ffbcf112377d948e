"""``path("", include("dephealth_django.urls"))`` serves the health views.

The paths come from ``DEPHEALTH`` (``prefix``, ``paths``) each time a URL is resolved, so
``override_settings`` applies without reloading the URLconf. Under ASGI the async view is
chosen (URL resolution runs on the event loop there), under WSGI the sync one.

The app's own URLs win: the first time a view is asked for, the URLconf is resolved again
with our pattern left out; when another pattern answers the path, that view stands aside
(Django then goes on to the app's pattern) and one WARNING says so.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging

from django.urls import NoReverseMatch, Resolver404, URLPattern, get_resolver, get_urlconf, reverse
from django.urls.resolvers import RegexPattern, ResolverMatch

from dephealth_core import ConfigError, views_the_app_answers

from ._runtime import get_runtime
from .views import async_health_view, health_view

logger = logging.getLogger("dephealth")

#: Set while the URLconf is resolved without our pattern, to see what the app answers.
_leaving_out = contextvars.ContextVar("dephealth_leaving_out", default=False)

app_name = "dephealth"


class HealthURLPattern(URLPattern):
    """Matches the paths the configured :class:`~dephealth_core.HealthViews` serves."""

    def __init__(self) -> None:
        super().__init__(RegexPattern(r"^(?P<path>.+)\Z", name="health"), health_view, {}, "health")
        self._config_error_logged = False
        self._matches: dict[tuple[str, bool], ResolverMatch] = {}
        self._yielded: dict[tuple[object, tuple[tuple[str, str], ...]], frozenset[str]] = {}

    def resolve(self, path: str) -> ResolverMatch | None:
        if _leaving_out.get():
            return None
        try:
            views = get_runtime().views
        except ConfigError as exc:
            if not self._config_error_logged:
                logger.error("dephealth: health views disabled, bad DEPHEALTH settings: %s", exc)
                self._config_error_logged = True
            return None
        view = views.match("/" + path)
        if view is None or view in self._views_the_app_answers(views.paths):
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

    def _views_the_app_answers(self, paths: dict[str, str]) -> frozenset[str]:
        key = (get_urlconf(), tuple(sorted(paths.items())))
        found = self._yielded.get(key)
        if found is None:
            full = {}
            for view, path in paths.items():
                try:
                    full[view] = reverse("dephealth:health", kwargs={"path": path.lstrip("/")})
                except NoReverseMatch:
                    continue  # included under another namespace: nothing to compare with
            token = _leaving_out.set(True)
            try:
                found = frozenset(views_the_app_answers(full, _app_answers))
            finally:
                _leaving_out.reset(token)
            self._yielded[key] = found
        return found


def _app_answers(path: str) -> bool:
    try:
        get_resolver(get_urlconf()).resolve(path)
    except Resolver404:
        return False
    return True


urlpatterns = [HealthURLPattern()]
