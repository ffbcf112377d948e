"""The demo program runs on its own, shows an outage and its recovery, and exits cleanly."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo.py"


@pytest.mark.slow
def test_demo_shows_an_outage_and_recovery_then_exits_cleanly() -> None:
    """A person running the demo sees payment-api go down and come back, then a clean exit."""
    result = subprocess.run(
        [sys.executable, str(DEMO), "--port", "0", "--duration", "11"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "payment-api:127.0.0.1" in out
    # The stub refuses while it is down; on a loaded machine a check may time out instead.
    assert re.search(r"payment-api\S*: ok -> (connection_error|timeout) \(healthy=False", out)
    assert re.search(r"payment-api\S*: (connection_error|timeout) -> ok \(healthy=True", out)
    assert "GET /readyz?verbose -> 503" in out
    assert re.search(r"\[-\]payment-api failed: (connection_error|timeout)", out)
    assert "dephealth: dependency recovered dependency=payment-api" in result.stderr
