"""A trivial view, dephealth's views and (when installed) django-health-check's view."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def ping(request: HttpRequest) -> HttpResponse:
    """The baseline: a view that does nothing.

    With a Content-Length, like every answer of a project with CommonMiddleware and like
    dephealth's, so that both let gunicorn skip chunked encoding alike.
    """
    return HttpResponse(b"pong\n", content_type="text/plain", headers={"Content-Length": "5"})


urlpatterns = [path("ping", ping), path("", include("dephealth_django.urls"))]

if settings.HAS_PEER:
    from health_check.views import HealthCheckView

    urlpatterns.append(
        path(
            "ht/",
            HealthCheckView.as_view(
                checks=["health_check.checks.Database", "health_check.checks.Cache"]
            ),
        )
    )
