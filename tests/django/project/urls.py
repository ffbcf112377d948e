"""The test project's URLs: a trivial view and the health views."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def ping(request: HttpRequest) -> HttpResponse:
    """A trivial view, the baseline of the benchmark."""
    return HttpResponse(b"pong\n", content_type="text/plain")


urlpatterns = [
    path("ping", ping),
    path("", include("dephealth_django.urls")),
]
