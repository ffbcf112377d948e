"""The health views, and ``/pid`` (which process answered; ``?sleep=`` holds the worker)."""

from __future__ import annotations

import os
import time

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def pid(request: HttpRequest) -> HttpResponse:
    time.sleep(float(request.GET.get("sleep", "0")))
    return HttpResponse(f"{os.getpid()}\n".encode(), content_type="text/plain")


urlpatterns = [
    path("pid", pid),
    path("", include("dephealth_django.urls")),
]
