"""The Kubernetes examples probe and scrape the paths the adapters serve by default."""

from __future__ import annotations

import re
from typing import Any

import yaml

from dephealth_core._views import DEFAULT_PATHS

from .conftest import DEPLOY

KUBERNETES = DEPLOY / "kubernetes"


def documents(name: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all((KUBERNETES / name).read_text()) if doc]


def kind(docs: list[dict[str, Any]], wanted: str) -> dict[str, Any]:
    (found,) = [doc for doc in docs if doc["kind"] == wanted]
    return found


def test_probes_use_the_default_paths_on_the_app_port() -> None:
    """liveness and startup on /livez, readiness on /readyz, on the port uvicorn listens on."""
    deployment = kind(documents("deployment.yaml"), "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    command = " ".join(container["command"])
    listen = int(re.search(r"--port (\d+)", command).group(1))  # type: ignore[union-attr]
    expected = {
        "startupProbe": DEFAULT_PATHS["livez"],
        "livenessProbe": DEFAULT_PATHS["livez"],
        "readinessProbe": DEFAULT_PATHS["readyz"],
    }
    for probe, path in expected.items():
        http = container[probe]["httpGet"]
        assert http["path"] == path, probe
        assert ports[http["port"]] == listen, probe


def test_shutdown_order_fits_the_grace_period() -> None:
    """A preStop pause, then readiness fails; the grace period outlasts the pause."""
    spec = kind(documents("deployment.yaml"), "Deployment")["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    pause = container["lifecycle"]["preStop"]["exec"]["command"]
    assert pause[0] == "sleep"
    readiness = container["readinessProbe"]
    # readiness turns 503 within a few probe periods of the pause starting
    assert readiness["periodSeconds"] * readiness["failureThreshold"] <= int(pause[1])
    assert spec["terminationGracePeriodSeconds"] > int(pause[1])


def test_monitors_scrape_the_metrics_path_of_the_pods() -> None:
    """ServiceMonitor and PodMonitor scrape /metrics on a named port the pods expose."""
    docs = documents("deployment.yaml")
    deployment, service = kind(docs, "Deployment"), kind(docs, "Service")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    container_ports = {port["name"] for port in container["ports"]}
    service_ports = {port["name"] for port in service["spec"]["ports"]}
    assert service["spec"]["selector"].items() <= pod_labels.items()

    service_monitor = kind(documents("servicemonitor.yaml"), "ServiceMonitor")
    assert (
        service_monitor["spec"]["selector"]["matchLabels"].items()
        <= service["metadata"]["labels"].items()
    )
    for endpoint in service_monitor["spec"]["endpoints"]:
        assert endpoint["path"] == DEFAULT_PATHS["metrics"]
        assert endpoint["port"] in service_ports

    pod_monitor = kind(documents("podmonitor.yaml"), "PodMonitor")
    assert pod_monitor["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    for endpoint in pod_monitor["spec"]["podMetricsEndpoints"]:
        assert endpoint["path"] == DEFAULT_PATHS["metrics"]
        assert endpoint["port"] in container_ports
