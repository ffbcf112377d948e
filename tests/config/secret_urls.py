"""Generated credentials in dependency URLs, and what a user, a scraper or a log reader sees.

A password is ``Pw<hex><text>Qz<hex><text>``: two unique markers around generated text of
every printable character (ASCII, and some beyond), written raw or percent-encoded. Any of
its markers appearing anywhere a user can see means some part of it leaked, even when a
malformed URL cut it in pieces.
"""

from __future__ import annotations

import asyncio
import logging
import string
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, quote_plus

from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, generate_latest

from dephealth_core import ConfigError, DependencyHealth, HealthViews
from tests.reliability.secrets_support import (
    every_log_record,
    leaks,
    log_texts,
    secret_forms,
    state_texts,
    view_texts,
)

#: Characters that must be percent-encoded in a password (or the URL is refused).
MUST_ENCODE = frozenset("@/?#[]%") | frozenset(string.whitespace)
#: What follows the host and port in each scheme's URLs.
PATHS = {
    "postgres": "/app",
    "postgresql": "/app",
    "mysql": "/app",
    "mariadb": "/app",
    "redis": "/0",
    "rediss": "/0",
    "amqp": "/",
    "amqps": "/vhost",
    "http": "/health",
    "https": "/health",
    "grpc": "",
    "grpcs": "",
    "kafka": "",
    "ldap": "",
    "ldaps": "",
    "tcp": "",
}
USER = "user"

_hex = st.text(alphabet="0123456789abcdef", min_size=6, max_size=6)
_chars = st.one_of(
    st.text(alphabet=string.printable, max_size=8),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=4),
)


@dataclass(frozen=True)
class Password:
    """A generated password, its markers and how it is written in the URL."""

    value: str
    markers: tuple[str, str]
    encoded: bool

    @property
    def in_url(self) -> str:
        return quote(self.value, safe="") if self.encoded else self.value

    @property
    def must_parse(self) -> bool:
        """Encoded, or raw with nothing that needs encoding: the URL is unambiguous."""
        if self.encoded:
            return True
        return not any(ch in MUST_ENCODE or not ch.isprintable() for ch in self.value)

    def forms(self) -> set[str]:
        forms = secret_forms(self.value, users=(USER,))
        forms |= {quote_plus(self.value), *self.markers}
        return forms


@st.composite
def passwords(draw: st.DrawFn) -> Password:
    """A password of every printable character, written raw or percent-encoded."""
    first, second = f"Pw{draw(_hex)}", f"Qz{draw(_hex)}"
    value = f"{first}{draw(_chars)}{second}{draw(_chars)}"
    return Password(value, (first, second), draw(st.booleans()))


def url_for(scheme: str, password: Password, port: int, host: str = "127.0.0.1") -> str:
    return f"{scheme}://{USER}:{password.in_url}@{host}:{port}{PATHS[scheme]}"


def assert_error_quotes_nothing(error: ConfigError, password: Password) -> None:
    message = str(error)
    assert error.field is not None and message.strip()
    found = leaks(password.forms(), [message, repr(error), *map(str, error.args)])
    assert not found, found


def exposure(engine: DependencyHealth, registry: CollectorRegistry | None) -> list[str]:
    """Run one round of checks; every text a user could see afterwards, logs included."""

    async def one_round() -> None:
        try:
            await engine.check_now()
        finally:
            await engine.stop()

    with every_log_record() as records:
        asyncio.run(one_round())
        views = HealthViews(engine, show_details="always", metrics=registry is not None)
        texts = view_texts(engine, views) + state_texts(engine)
        if registry is not None:
            texts.append(generate_latest(registry).decode())
        engine_log = logging.getLogger("dephealth")
        engine_log.debug("exposure gathered")
    return texts + log_texts(records)


def no_leak(password: Password, texts: Iterable[str]) -> None:
    found = leaks(password.forms(), texts)
    assert not found, found[:3]
