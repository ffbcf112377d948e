"""Django views that route to the core's :class:`~dephealth_core.HealthViews`.

The core renders from the published snapshot without I/O, so the async view (chosen under
ASGI) calls it directly; only a ``show_details`` callable, which may read ``request.user``
from the database, runs through ``sync_to_async``. A probe answer costs little: request
headers are read from ``META`` only when asked for, and the Django headers of a rendered
answer are built once per answer (the core reuses answers until the snapshot changes).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse

from dephealth_core import Response

from ._runtime import get_runtime


class MetaHeaders(Mapping[str, str]):
    """Request headers looked up in ``request.META`` on demand (case-insensitive)."""

    __slots__ = ("_meta",)

    def __init__(self, meta: Mapping[str, Any]) -> None:
        self._meta = meta

    def __getitem__(self, name: str) -> str:
        upper = name.upper().replace("-", "_")
        key = upper if upper in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + upper
        value = self._meta[key]
        return str(value)

    def __iter__(self) -> Iterator[str]:
        for key in self._meta:
            if key.startswith("HTTP_"):
                yield key[5:].replace("_", "-").title()

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _handle(request: HttpRequest, view: str) -> Response:
    return get_runtime().views.handle(
        view,
        method=request.method or "GET",
        query=request.META.get("QUERY_STRING", ""),
        headers=MetaHeaders(request.META),
        request=request,
    )


#: id(Response) -> (Response, the header store of a Django response); answers are few.
_header_stores: dict[int, tuple[Response, dict[str, tuple[str, str]]]] = {}
_MAX_STORES = 128


def _to_django(response: Response) -> HttpResponse:
    answer = HttpResponse(response.body, status=response.status, content_type=response.content_type)
    cached = _header_stores.get(id(response))
    store = getattr(answer.headers, "_store", None)
    if cached is not None and cached[0] is response and isinstance(store, dict):
        # The headers validated the first time this answer was served: skip re-validating.
        store.update(cached[1])
        return answer
    for name, value in response.headers:
        answer[name] = value
    if isinstance(store, dict):
        if len(_header_stores) >= _MAX_STORES:
            _header_stores.clear()
        _header_stores[id(response)] = (response, dict(store))
    return answer


def health_view(request: HttpRequest, view: str) -> HttpResponse:
    """Serve one health view (``readyz``, ``livez``...) under WSGI."""
    return _to_django(_handle(request, view))


async def async_health_view(request: HttpRequest, view: str) -> HttpResponse:
    """Serve one health view under ASGI, on the event loop."""
    if view in get_runtime().views.options.request_views:
        response = await sync_to_async(_handle)(request, view)
    else:
        response = _handle(request, view)
    return _to_django(response)
