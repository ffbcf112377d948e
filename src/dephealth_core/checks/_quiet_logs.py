"""Third-party loggers kept clear of what our checks send and receive.

At DEBUG, httpcore logs every step of a request with its arguments and results: the response
headers among them. A server that echoes a credential (an ``Authorization`` or a cookie) in a
header would get it written to the app's log by our health check. Records that httpcore makes
while one of our checks runs keep their event name (``receive_response_headers.complete``)
and lose their arguments; the app's own requests log as before.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Final

#: The loggers httpcore writes its request traces to.
HTTPCORE_LOGGERS: Final = (
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)
_in_check: ContextVar[bool] = ContextVar("dephealth_in_check", default=False)


class _DropArguments(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if _in_check.get():
            event = str(record.msg).split(" ", 1)[0]
            record.msg, record.args = f"{event} (details hidden by dephealth)", None
        return True


_FILTER: Final = _DropArguments()


def install() -> None:
    """Attach the filter to httpcore's loggers (idempotent)."""
    for name in HTTPCORE_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


@contextmanager
def quiet_third_party_logs() -> Iterator[None]:
    """Within this block (one check), httpcore's records carry no arguments."""
    token = _in_check.set(True)
    try:
        yield
    finally:
        _in_check.reset(token)
