"""Fixtures of the reliability suite: every kind of dependency behind fault proxies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from .fleet import Fleet, fleet


@pytest.fixture
def registry() -> CollectorRegistry:
    """A fresh registry per test, so instances never collide."""
    return CollectorRegistry()


@pytest.fixture
def every_dependency(
    slapd: Any, kafka_broker: Any, redis_url: str, amqp_url: str
) -> Iterator[Fleet]:
    """One proxy per kind of dependency (and Django's aliases), declared by DEPHEALTH_* variables.

    Uses the shared PostgreSQL, MariaDB, Redis and RabbitMQ, the session's slapd and Kafka
    broker, and an HTTP and a gRPC server of this process. Interval 1 s, timeout 0.5 s.
    """
    with fleet({"slapd": slapd, "kafka": kafka_broker}) as result:
        yield result
