"""Django views that route to the core's :class:`~dephealth_core.HealthViews`.

The core renders from the published snapshot without I/O, so the async view (chosen under
ASGI) calls it directly; only a ``show_details`` callable, which may read ``request.user``
from the database, runs through ``sync_to_async``.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse

from dephealth_core import Response

from ._runtime import get_runtime

_GATED_VIEWS = frozenset({"health", "details"})


def _handle(request: HttpRequest, view: str) -> Response:
    return get_runtime().views.handle(
        view,
        method=request.method or "GET",
        query=request.META.get("QUERY_STRING", ""),
        headers=request.headers,
        request=request,
    )


def _to_django(response: Response) -> HttpResponse:
    answer = HttpResponse(response.body, status=response.status)
    for name, value in response.headers:
        answer[name] = value
    return answer


def health_view(request: HttpRequest, view: str) -> HttpResponse:
    """Serve one health view (``readyz``, ``livez``...) under WSGI."""
    return _to_django(_handle(request, view))


async def async_health_view(request: HttpRequest, view: str) -> HttpResponse:
    """Serve one health view under ASGI, on the event loop."""
    if view in _GATED_VIEWS and callable(get_runtime().views.show_details):
        response = await sync_to_async(_handle)(request, view)
    else:
        response = _handle(request, view)
    return _to_django(response)
