"""A Prometheus server of a test's own: free loopback port, temp storage, given targets and rules.

``PrivatePrometheus`` follows the life cycle of the other private servers (``start()``,
``stop()``, ``close()``, context manager; ``ServerNotInstalled`` without the binary, which
``scripts/servers`` installs from Debian's ``prometheus`` package). Scrapes and rule evaluations
run every ``interval`` seconds (1 s by default). ``query()`` and ``alerts()`` read its HTTP API.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from ._process import ManagedServer, find_binary

__all__ = ["PrivatePrometheus", "promtool"]


def promtool() -> str:
    """Path of promtool.

    Raises:
        ServerNotInstalled: it is not installed.
    """
    return find_binary("promtool")


class PrivatePrometheus(ManagedServer):
    """Prometheus scraping ``targets`` (job -> ``host:port`` list) and evaluating ``rule_files``."""

    name = "prometheus"

    def __init__(
        self,
        targets: Mapping[str, Sequence[str]],
        rule_files: Sequence[Path] = (),
        *,
        interval: float = 1.0,
        port: int | None = None,
    ) -> None:
        super().__init__(port=port, startup_timeout=60)
        self.targets = {job: list(addresses) for job, addresses in targets.items()}
        self.rule_files = [Path(path).resolve() for path in rule_files]
        self.interval = interval
        self._binary = find_binary("prometheus")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _prepare(self, workdir: Path) -> None:
        rules = []
        for number, path in enumerate(self.rule_files):
            copy = workdir / f"rules-{number}-{path.name}"
            shutil.copyfile(path, copy)
            rules.append(str(copy))
        seconds = f"{self.interval:g}s"
        config = {
            "global": {"scrape_interval": seconds, "evaluation_interval": seconds},
            "rule_files": rules,
            "scrape_configs": [
                {"job_name": job, "static_configs": [{"targets": addresses}]}
                for job, addresses in self.targets.items()
            ],
        }
        # JSON is YAML: no YAML writer needed.
        (workdir / "prometheus.yml").write_text(json.dumps(config, indent=2))

    def _command(self) -> Sequence[str]:
        return [
            self._binary,
            f"--config.file={self.workdir / 'prometheus.yml'}",
            f"--storage.tsdb.path={self.workdir / 'data'}",
            f"--web.listen-address={self.host}:{self.port}",
            "--storage.tsdb.retention.time=1h",
            "--log.level=warn",
        ]

    def _is_ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def api(self, path: str, **params: str) -> Any:
        """GET ``/api/v1/<path>`` and return its ``data``.

        Raises:
            RuntimeError: the API answered an error (a bad query, for example).
        """
        response = httpx.get(f"{self.url}/api/v1/{path}", params=params, timeout=10)
        body = response.json()
        if body.get("status") != "success":
            raise RuntimeError(f"{path} {params}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """The instant vector of ``expr`` now (``[{"metric": {...}, "value": [t, "v"]}]``)."""
        data = self.api("query", query=expr)
        if data["resultType"] != "vector":
            raise RuntimeError(f"{expr!r} gives a {data['resultType']}, not a vector")
        result: list[dict[str, Any]] = data["result"]
        return result

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[Any]:
        """The range matrix of ``expr`` between two Unix times."""
        data = self.api("query_range", query=expr, start=str(start), end=str(end), step=str(step))
        result: list[Any] = data["result"]
        return result

    def alerts(self) -> list[dict[str, Any]]:
        """The active alerts, pending and firing (``/api/v1/alerts``)."""
        result: list[dict[str, Any]] = self.api("alerts")["alerts"]
        return result

    def targets_up(self) -> dict[str, bool]:
        """``job/instance`` -> whether its last scrape succeeded."""
        data = self.api("targets")
        return {
            f"{target['labels']['job']}/{target['labels']['instance']}": target["health"] == "up"
            for target in data["activeTargets"]
        }
