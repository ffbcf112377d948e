"""Finding secrets in what a service exposes: responses, metrics, log records, reprs.

``exposure()`` runs a round of checks on an engine and gathers every text a user, a scraper
or a log reader could see; ``leaks()`` says which forms of a secret appear in them.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from urllib.parse import quote, quote_plus

from dephealth_core import DependencyHealth, HealthViews

FORMAT = logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s")


def secret_forms(secret: str, users: Iterable[str] = ("user",)) -> set[str]:
    """The secret as it may be written: raw, URL-encoded, in a basic-auth header value."""
    forms = {secret, quote(secret, safe=""), quote_plus(secret)}
    for user in users:
        forms.add(base64.b64encode(f"{user}:{secret}".encode()).decode())
    return forms


def leaks(forms: set[str], texts: Iterable[str]) -> list[str]:
    """``"form in text"`` for each text that holds one of ``forms`` (a short excerpt)."""
    found = []
    for text in texts:
        for form in forms:
            at = text.find(form)
            if at != -1:
                found.append(f"{form!r} in ...{text[max(0, at - 80) : at + 80]!r}...")
    return found


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def every_log_record() -> Iterator[list[logging.LogRecord]]:
    """Every record of every logger at DEBUG, as an app configured for debugging would log.

    The root logger and every existing logger are set to DEBUG (and restored after), and
    loggers that do not propagate get the collector too.
    """
    collector = _Collector()
    root = logging.getLogger()
    saved: dict[logging.Logger, int] = {root: root.level}
    attached = [root]
    root.addHandler(collector)
    root.setLevel(logging.DEBUG)
    for logger in list(logging.root.manager.loggerDict.values()):
        if not isinstance(logger, logging.Logger):
            continue
        saved[logger] = logger.level
        if logger.level != logging.NOTSET:
            logger.setLevel(logging.DEBUG)
        if not logger.propagate:
            logger.addHandler(collector)
            attached.append(logger)
    try:
        yield collector.records
    finally:
        for logger in attached:
            logger.removeHandler(collector)
        for logger, level in saved.items():
            logger.setLevel(level)


def log_texts(records: Iterable[logging.LogRecord]) -> list[str]:
    """Each record as a handler would write it (message, exception and stack), and its args."""
    texts = []
    for record in records:
        texts.append(FORMAT.format(record))
        texts.append(repr(record.args))
    return texts


def view_texts(engine: DependencyHealth, views: HealthViews) -> list[str]:
    """Every view's answer (status line, headers, body), verbose and not, details on."""
    texts = []
    for view in views.paths:
        for query in ("", "verbose"):
            answer = views.handle(view, query=query, headers={"authorization": "Bearer t"})
            head = "".join(f"{name}: {value}\n" for name, value in answer.headers)
            texts.append(f"{view} {answer.status}\n{head}\n{answer.body.decode(errors='replace')}")
    return texts


def state_texts(engine: DependencyHealth) -> list[str]:
    """What code can print: reprs of the engine, its dependencies and every endpoint status."""
    texts = [repr(engine), str(engine)]
    texts.extend(repr(dependency) for dependency in engine.dependencies)
    for key, status in engine.health_details().items():
        texts.extend([key, repr(status), repr(status.to_dict())])
    texts.append(repr(engine.snapshot))
    return texts
