"""Example URLs: the app's own view and the health views under /ops."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def index(request: HttpRequest) -> HttpResponse:
    """The application itself."""
    return HttpResponse(b"hello from the example shop\n", content_type="text/plain")


urlpatterns = [
    path("", index),
    path("", include("dephealth_django.urls")),
]
