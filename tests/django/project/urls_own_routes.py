"""A URLconf whose app answers /readyz before our include and /health after it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def own(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"app " + request.path.encode(), content_type="text/plain")


urlpatterns = [
    path("readyz", own),
    path("", include("dephealth_django.urls")),
    path("health", own),
]
