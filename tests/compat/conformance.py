"""dephealth's conformance checks and its 19 scenarios (0.8.2), as data and pure functions.

Written after ``conformance/runner/verify.py`` and ``conformance/scenarios/*.yml`` of
BigKAA/topologymetrics: each check type of the runner is a function here that takes the parsed
``/metrics`` (and ``/health-details`` JSON) and returns the list of what is wrong. A scenario
names its fault (what the runner did with ``kubectl scale`` or the stubs' admin API), the checks
it runs and the (status, detail) it expects per dependency. Hosts and ports come from where the
test placed the servers on loopback, not from the Kubernetes service names.

Where the runner contradicts the specification, the specification wins: the runner maps
``http_NNN`` to ``error`` and leaves ``unhealthy`` out of the HTTP details, while
``spec/check-behavior.md`` (6.2.3, 6.2.4) and the runner's own ``http-host-header`` scenario
have ``unhealthy``/``http_404``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

HEALTH = "app_dependency_health"
LATENCY = "app_dependency_latency_seconds"
STATUS = "app_dependency_status"
DETAIL = "app_dependency_status_detail"
REQUIRED_LABELS = {"name", "group", "dependency", "type", "host", "port", "critical"}
BUCKETS = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0}
TYPES = {"http", "grpc", "tcp", "postgres", "mysql", "redis", "amqp", "kafka", "ldap"}
STATUSES = {
    "ok",
    "timeout",
    "connection_error",
    "dns_error",
    "auth_error",
    "tls_error",
    "unhealthy",
    "error",
}
HELP = {
    HEALTH: "Health status of a dependency (1 = healthy, 0 = unhealthy)",
    LATENCY: "Latency of dependency health check in seconds",
    STATUS: "Category of the last check result",
    DETAIL: "Detailed reason of the last check result",
}
DETAIL_STATUS = {
    "ok": "ok",
    "timeout": "timeout",
    "connection_refused": "connection_error",
    "network_unreachable": "connection_error",
    "host_unreachable": "connection_error",
    "dns_error": "dns_error",
    "auth_error": "auth_error",
    "tls_error": "tls_error",
    "unhealthy": "unhealthy",
    "no_brokers": "unhealthy",
    "grpc_not_serving": "unhealthy",
    "grpc_unknown": "unhealthy",
    "error": "error",
    "pool_exhausted": "error",
    "query_error": "error",
}
_COMMON_DETAILS = {"ok", "timeout", "connection_refused", "dns_error", "error"}
DETAILS_BY_TYPE = {
    "http": _COMMON_DETAILS | {"auth_error", "tls_error"},  # plus http_NNN
    "grpc": _COMMON_DETAILS | {"auth_error", "tls_error", "grpc_not_serving", "grpc_unknown"},
    "tcp": _COMMON_DETAILS,
    "postgres": _COMMON_DETAILS | {"auth_error", "tls_error"},
    "mysql": _COMMON_DETAILS | {"auth_error", "tls_error"},
    "redis": _COMMON_DETAILS | {"auth_error", "unhealthy"},
    "amqp": _COMMON_DETAILS | {"auth_error", "tls_error", "unhealthy"},
    "kafka": _COMMON_DETAILS | {"no_brokers"},
    "ldap": _COMMON_DETAILS | {"auth_error", "tls_error", "unhealthy"},
}
DETAILS_FIELDS = {
    "healthy",
    "status",
    "detail",
    "latency_ms",
    "type",
    "name",
    "host",
    "port",
    "critical",
    "last_checked_at",
    "labels",
}
_NAME = re.compile(r"[a-z][a-z0-9-]{0,62}")
_HTTP_DETAIL = re.compile(r"http_\d{3}")

Key = tuple[str, str, str]  # dependency, host, port


@dataclass(frozen=True)
class Sample:
    name: str
    labels: Mapping[str, str]
    value: float


@dataclass(frozen=True)
class Family:
    help: str
    samples: tuple[Sample, ...]


Metrics = dict[str, Family]


def parse(text: str) -> Metrics:
    """The exposition text as families by name."""
    return {
        family.name: Family(
            family.documentation,
            tuple(Sample(s.name, dict(s.labels), s.value) for s in family.samples),
        )
        for family in text_string_to_metric_families(text)
    }


def key_of(labels: Mapping[str, str]) -> Key:
    return (labels.get("dependency", ""), labels.get("host", ""), labels.get("port", ""))


def own_samples(metrics: Metrics, name: str) -> list[Sample]:
    """The samples of a family that carry its own name (no _bucket/_sum/_count)."""
    family = metrics.get(name)
    return [s for s in family.samples if s.name == name] if family else []


def active_status(metrics: Metrics) -> dict[Key, str]:
    family = metrics.get(STATUS)
    samples = family.samples if family else ()
    return {key_of(s.labels): s.labels["status"] for s in samples if s.value == 1.0}


def details(metrics: Metrics) -> dict[Key, str]:
    family = metrics.get(DETAIL)
    samples = family.samples if family else ()
    return {key_of(s.labels): s.labels.get("detail", "") for s in samples}


def health_values(metrics: Metrics) -> dict[Key, float]:
    return {key_of(s.labels): s.value for s in own_samples(metrics, HEALTH)}


# -- the runner's check types --------------------------------------------------------------


def metric_exists(metrics: Metrics, metric: str) -> list[str]:
    return [] if metric in metrics else [f"{metric} is not exported"]


def help_text(metrics: Metrics, metric: str) -> list[str]:
    if metric not in metrics:
        return [f"{metric} is not exported"]
    actual = metrics[metric].help
    return [] if actual == HELP[metric] else [f"{metric} HELP is {actual!r}"]


def required_labels(metrics: Metrics, metric: str) -> list[str]:
    if metric not in metrics:
        return [f"{metric} is not exported"]
    extra = {"status"} if metric == STATUS else {"detail"} if metric == DETAIL else set()
    problems = []
    for sample in metrics[metric].samples:
        missing = REQUIRED_LABELS - (set(sample.labels) - {"le"} - extra)
        if missing:
            problems.append(f"{sample.name} {dict(sample.labels)} lacks {sorted(missing)}")
    return problems


def label_values(metrics: Metrics, metric: str) -> list[str]:
    if metric not in metrics:
        return [f"{metric} is not exported"]
    # A histogram has no sample of its own name: its _count samples carry the same labels.
    samples = own_samples(metrics, metric) or [
        s for s in metrics[metric].samples if s.name.endswith("_count")
    ]
    problems = []
    for sample in samples:
        labels = sample.labels
        dep = labels.get("dependency", "")
        for label in ("name", "group"):
            if not _NAME.fullmatch(labels.get(label, "")):
                problems.append(f"{dep}: {label}={labels.get(label)!r}")
        if labels.get("critical") not in ("yes", "no"):
            problems.append(f"{dep}: critical={labels.get('critical')!r}")
        if not dep or not all(c.isalnum() or c == "-" for c in dep):
            problems.append(f"dependency={dep!r}")
        if labels.get("type") not in TYPES:
            problems.append(f"{dep}: type={labels.get('type')!r}")
        port = labels.get("port", "")
        if not port.isdigit() or not 1 <= int(port) <= 65535:
            problems.append(f"{dep}: port={port!r}")
    return problems


def health_is_binary(metrics: Metrics) -> list[str]:
    return [
        f"{s.labels.get('dependency')}: health {s.value}"
        for s in own_samples(metrics, HEALTH)
        if s.value not in (0.0, 1.0)
    ]


def histogram_buckets(metrics: Metrics) -> list[str]:
    if LATENCY not in metrics:
        return [f"{LATENCY} is not exported"]
    les = {
        float(s.labels["le"])
        for s in metrics[LATENCY].samples
        if s.name == f"{LATENCY}_bucket" and s.labels.get("le") != "+Inf"
    }
    missing = BUCKETS - les
    return [f"missing buckets {sorted(missing)}"] if missing else []


def status_enum_completeness(metrics: Metrics) -> list[str]:
    if STATUS not in metrics:
        return [f"{STATUS} is not exported"]
    by_key: dict[Key, dict[str, float]] = {}
    for s in metrics[STATUS].samples:
        by_key.setdefault(key_of(s.labels), {})[s.labels.get("status", "")] = s.value
    problems = []
    for key, statuses in by_key.items():
        if set(statuses) != STATUSES:
            problems.append(f"{key}: status series {sorted(statuses)}")
        elif sorted(statuses.values()) != [0.0] * 7 + [1.0]:
            problems.append(f"{key}: not exactly one status at 1: {statuses}")
    return problems


def status_health_consistency(metrics: Metrics) -> list[str]:
    if HEALTH not in metrics or STATUS not in metrics:
        return []  # the runner skips it before the first results
    ok = {key_of(s.labels): s.value for s in metrics[STATUS].samples if s.labels["status"] == "ok"}
    return [
        f"{key}: health={value}, status{{ok}}={ok.get(key)}"
        for key, value in health_values(metrics).items()
        if ok.get(key) != value
    ]


def detail_value_always_one(metrics: Metrics) -> list[str]:
    if DETAIL not in metrics:
        return [f"{DETAIL} is not exported"]
    return [
        f"{key_of(s.labels)}: detail {s.labels.get('detail')} = {s.value}"
        for s in metrics[DETAIL].samples
        if s.value != 1.0
    ]


def detail_valid_values(metrics: Metrics) -> list[str]:
    if DETAIL not in metrics:
        return [f"{DETAIL} is not exported"]
    problems = []
    for s in metrics[DETAIL].samples:
        kind, detail = s.labels.get("type", ""), s.labels.get("detail", "")
        if kind == "http" and _HTTP_DETAIL.fullmatch(detail):
            continue
        if detail not in DETAILS_BY_TYPE.get(kind, set()):
            problems.append(f"{key_of(s.labels)}: detail {detail!r} for type {kind!r}")
    return problems


def detail_status_mapping(metrics: Metrics) -> list[str]:
    active = active_status(metrics)
    problems = []
    for key, detail in details(metrics).items():
        expected = "unhealthy" if _HTTP_DETAIL.fullmatch(detail) else DETAIL_STATUS.get(detail)
        if active.get(key) != expected:
            problems.append(f"{key}: detail {detail!r} with status {active.get(key)!r}")
    return problems


GENERIC_CHECKS: dict[str, Callable[[Metrics], list[str]]] = {
    "health_values": health_is_binary,
    "histogram_buckets": histogram_buckets,
    "status_enum_completeness": status_enum_completeness,
    "status_health_consistency": status_health_consistency,
    "detail_value_always_one": detail_value_always_one,
    "detail_valid_values": detail_valid_values,
    "detail_status_mapping": detail_status_mapping,
}
METRIC_CHECKS: dict[str, Callable[[Metrics, str], list[str]]] = {
    "metric_exists": metric_exists,
    "help_text": help_text,
    "required_labels": required_labels,
    "label_values": label_values,
}


# -- /health-details ---------------------------------------------------------------------


def health_details_problems(data: Any, metrics: Metrics) -> list[str]:
    """structure, types, status values and consistency with the metrics, as the runner checks."""
    if not isinstance(data, dict) or not data:
        return [f"/health-details is not a non-empty object: {data!r}"]
    problems = []
    types: dict[str, tuple[type, ...]] = {
        "status": (str,),
        "detail": (str,),
        "latency_ms": (int, float),
        "type": (str,),
        "name": (str,),
        "host": (str,),
        "port": (str,),
        "critical": (bool,),
        "labels": (dict,),
    }
    for key, entry in data.items():
        missing = DETAILS_FIELDS - set(entry)
        if missing:
            problems.append(f"{key}: missing {sorted(missing)}")
            continue
        for name, allowed in types.items():
            if not isinstance(entry[name], allowed):
                problems.append(f"{key}: {name} is {type(entry[name]).__name__}")
        if entry["healthy"] is not None and not isinstance(entry["healthy"], bool):
            problems.append(f"{key}: healthy is {entry['healthy']!r}")
        if entry["last_checked_at"] is not None and not isinstance(entry["last_checked_at"], str):
            problems.append(f"{key}: last_checked_at is {entry['last_checked_at']!r}")
        if entry["status"] not in STATUSES | {"unknown"}:
            problems.append(f"{key}: status {entry['status']!r}")
    health = health_values(metrics)
    keys = {tuple(k.rsplit(":", 2)) for k in data}
    if keys != set(health):
        problems.append(f"endpoints differ: details {sorted(keys)} vs metrics {sorted(health)}")
    for key, entry in data.items():
        value = health.get(tuple(key.rsplit(":", 2)))  # type: ignore[arg-type]
        if value is not None and entry.get("healthy") is not (value == 1.0):
            problems.append(f"{key}: healthy={entry.get('healthy')} but metric {value}")
    return problems


# -- the service and the scenarios ---------------------------------------------------------


@dataclass(frozen=True)
class Dep:
    """One dependency of the conformance service: its type, critical label, endpoint group."""

    type: str
    critical: bool
    endpoint: str  # which server: "primary", "replica", "redis", "amqp", "kafka", ...


SERVICE_NAME = "conformance-service"
SERVICE_GROUP = "conformance-test"
DEPENDENCIES: dict[str, Dep] = {
    "postgres-primary": Dep("postgres", True, "primary"),
    "postgres-replica": Dep("postgres", False, "replica"),
    "redis-cache": Dep("redis", True, "redis"),
    "rabbitmq": Dep("amqp", False, "amqp"),
    "kafka-main": Dep("kafka", False, "kafka"),
    "http-service": Dep("http", False, "http"),
    "http-auth-bearer": Dep("http", False, "http"),
    "http-auth-basic": Dep("http", False, "http"),
    "http-auth-header": Dep("http", False, "http"),
    "http-auth-wrong": Dep("http", False, "http"),
    "http-host-header": Dep("http", False, "http"),
    "grpc-service": Dep("grpc", False, "grpc"),
    "grpc-authority": Dep("grpc", False, "grpc"),
    "grpc-auth-bearer": Dep("grpc", False, "grpc"),
    "ldap-rootdse": Dep("ldap", False, "ldap"),
    "ldap-bind": Dep("ldap", False, "ldap"),
    "ldap-search": Dep("ldap", False, "ldap"),
    "ldap-invalid-auth": Dep("ldap", False, "ldap"),
}
OK = ("ok", "ok")
AUTH = ("auth_error", "auth_error")
REFUSED = ("connection_error", "connection_refused")
# Every endpoint at rest: all healthy but the LDAP bind with the wrong password.
BASELINE: dict[str, tuple[str, str]] = {
    name: (AUTH if name == "ldap-invalid-auth" else OK) for name in DEPENDENCIES
}
LDAP = ("ldap-rootdse", "ldap-bind", "ldap-search", "ldap-invalid-auth")

ALL_METRICS = (HEALTH, LATENCY, STATUS, DETAIL)


@dataclass(frozen=True)
class Scenario:
    """One scenario: the fault, what must hold while it lasts, then how it is undone.

    ``fault`` and ``restore`` name methods of the test's environment. ``recover``: the fault
    is undone before the checks (the ``recovery`` scenarios) once ``while_down`` holds.
    """

    name: str
    expect: dict[str, tuple[str, str]]
    checks: tuple[str, ...] = ()
    metric_checks: tuple[tuple[str, str], ...] = ()
    fault: str | None = None
    restore: str | None = None
    while_down: dict[str, tuple[str, str]] = field(default_factory=dict)
    labels: tuple[str, ...] = ("name", "critical", "type")
    health_details: bool = False


def _all(check: str) -> tuple[tuple[str, str], ...]:
    return tuple((check, metric) for metric in ALL_METRICS)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "initial-state",
        expect={},
        checks=("health_values", "status_health_consistency"),
    ),
    Scenario(
        "basic-health",
        expect=BASELINE,
        checks=tuple(GENERIC_CHECKS),
        metric_checks=(
            *(("metric_exists", m) for m in ALL_METRICS),
            *(("help_text", m) for m in ALL_METRICS),
            ("required_labels", HEALTH),
            ("required_labels", STATUS),
            ("required_labels", DETAIL),
            ("label_values", HEALTH),
        ),
    ),
    Scenario(
        "labels",
        expect={},
        checks=("status_enum_completeness", "detail_valid_values"),
        metric_checks=(
            *_all("required_labels"),
            ("label_values", HEALTH),
            ("label_values", LATENCY),
        ),
    ),
    Scenario(
        "latency",
        expect={},
        checks=("histogram_buckets",),
        metric_checks=(
            ("metric_exists", LATENCY),
            ("metric_exists", STATUS),
            ("metric_exists", DETAIL),
            ("required_labels", LATENCY),
        ),
    ),
    Scenario(
        "group-label",
        expect={k: v for k, v in BASELINE.items() if not k.startswith("ldap")},
        metric_checks=(*_all("required_labels"), ("label_values", HEALTH)),
        labels=("group",),
    ),
    Scenario("health-details", expect=BASELINE, labels=("type",), health_details=True),
    Scenario("ldap-basic", expect={k: BASELINE[k] for k in LDAP}),
    Scenario(
        "partial-failure",
        expect={"postgres-primary": OK, "postgres-replica": REFUSED},
        checks=("status_health_consistency",),
        fault="replica_down",
        restore="replica_up",
    ),
    Scenario(
        "full-failure",
        expect={"redis-cache": REFUSED},
        checks=("status_health_consistency",),
        fault="redis_down",
        restore="redis_up",
    ),
    Scenario(
        "recovery",
        expect={"redis-cache": OK},
        checks=("status_health_consistency",),
        fault="redis_down",
        restore="redis_up",
        while_down={"redis-cache": REFUSED},
    ),
    Scenario(
        "timeout",
        expect={"http-service": ("timeout", "timeout")},
        checks=("status_health_consistency",),
        fault="http_slow",
        restore="http_fast",
    ),
    Scenario(
        "ldap-failure",
        expect=dict.fromkeys(LDAP, REFUSED),
        fault="ldap_down",
        restore="ldap_up",
    ),
    Scenario(
        "ldap-recovery",
        expect=dict.fromkeys(LDAP[:3], OK),
        fault="ldap_down",
        restore="ldap_up",
        while_down=dict.fromkeys(LDAP, REFUSED),
    ),
    Scenario(
        "auth-http-bearer",
        expect={"http-auth-bearer": OK, "http-service": AUTH, "http-auth-wrong": AUTH},
        checks=("status_health_consistency",),
        fault="http_bearer",
        restore="http_no_auth",
    ),
    Scenario(
        "auth-http-basic",
        expect={"http-auth-basic": OK, "http-service": AUTH},
        checks=("status_health_consistency",),
        fault="http_basic",
        restore="http_no_auth",
    ),
    Scenario(
        "auth-http-header",
        expect={"http-auth-header": OK, "http-service": AUTH},
        checks=("status_health_consistency",),
        fault="http_header",
        restore="http_no_auth",
    ),
    Scenario(
        "auth-grpc",
        expect={"grpc-auth-bearer": OK, "grpc-service": AUTH},
        checks=("status_health_consistency",),
        fault="grpc_bearer",
        restore="grpc_no_auth",
    ),
    Scenario(
        "http-host-header",
        expect={"http-host-header": OK, "http-service": ("unhealthy", "http_404")},
        checks=("status_health_consistency",),
        fault="http_host_routing",
        restore="http_no_routing",
    ),
    Scenario(
        "grpc-authority",
        expect={"grpc-authority": OK, "grpc-service": ("error", "error")},
        checks=("status_health_consistency",),
        fault="grpc_authority_routing",
        restore="grpc_no_routing",
    ),
)


def unmet(
    metrics: Metrics, expect: Mapping[str, tuple[str, str]], keys: Mapping[str, Key]
) -> list[str]:
    """Which expected (status, detail) pairs the metrics do not show yet."""
    active, detail = active_status(metrics), details(metrics)
    return [
        f"{name}: {active.get(keys[name])}/{detail.get(keys[name])}, want {want[0]}/{want[1]}"
        for name, want in expect.items()
        if (active.get(keys[name]), detail.get(keys[name])) != want
    ]


def scenario_problems(
    scenario: Scenario,
    metrics: Metrics,
    keys: Mapping[str, Key],
    details_json: Any = None,
) -> list[str]:
    """Every check of ``scenario`` against one scrape (after its expectations were met)."""
    problems = unmet(metrics, scenario.expect, keys)
    health = health_values(metrics)
    labels = {key_of(s.labels): s.labels for s in own_samples(metrics, HEALTH)}
    for name, (status, _detail) in scenario.expect.items():
        key = keys[name]
        if health.get(key) != (1.0 if status == "ok" else 0.0):
            problems.append(f"{name}: health {health.get(key)} with status {status}")
        got = labels.get(key, {})
        want = {
            "name": SERVICE_NAME,
            "group": SERVICE_GROUP,
            "critical": "yes" if DEPENDENCIES[name].critical else "no",
            "type": DEPENDENCIES[name].type,
        }
        for label in scenario.labels:
            if got.get(label) != want[label]:
                problems.append(f"{name}: {label}={got.get(label)!r}, want {want[label]!r}")
    for check in scenario.checks:
        problems += [f"{check}: {p}" for p in GENERIC_CHECKS[check](metrics)]
    for check, metric in scenario.metric_checks:
        problems += [f"{check}({metric}): {p}" for p in METRIC_CHECKS[check](metrics, metric)]
    if scenario.health_details:
        problems += [f"health-details: {p}" for p in health_details_problems(details_json, metrics)]
        for name, (status, detail) in scenario.expect.items():
            entry = (details_json or {}).get(":".join(keys[name]), {})
            want_entry = {
                "healthy": status == "ok",
                "status": status,
                "detail": detail,
                "type": DEPENDENCIES[name].type,
                "name": name,
                "critical": DEPENDENCIES[name].critical,
            }
            for attribute, value in want_entry.items():
                if entry.get(attribute) != value:
                    problems.append(
                        f"health-details {name}: {attribute}={entry.get(attribute)!r}, "
                        f"want {value!r}"
                    )
    return problems
