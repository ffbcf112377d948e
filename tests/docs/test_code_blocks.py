"""Every python block of the docs runs as a new user would run it, and prints what it says.

Blocks run in a fresh interpreter, in an empty folder (with the page's ``dephealth.toml``), with
the page's ``export`` lines as their only ``DEPHEALTH_*`` variables. Fragments (a block that
continues the one before it, needs a pool the page only names, or starts a server) are listed
in ``FRAGMENTS`` with the reason, or marked on the page with ``<!-- docs-test: skip: why -->``;
the test that counts them keeps that list short. Latencies in printed output may differ.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .blocks import ROOT, Block, all_blocks

#: (page, text the block holds) -> why it cannot run alone.
FRAGMENTS = {
    ("docs/checkers/amqp.md", "await"): "top-level await inside the app's startup",
    ("docs/checkers/kafka.md", "AIOKafka"): "an aiokafka client needs a running loop",
    ("docs/checkers/ldap.md", "ldap3.Connection"): "binds to an LDAP server on port 389",
    ("docs/checkers/redis.md", "client=cache"): "continues the block before it",
    ("docs/django.md", "include("): "a urls.py fragment",
    ("docs/django.md", "DEPHEALTH = {"): "a settings.py fragment",
    ("docs/django.md", '"dependencies": {'): "a settings.py fragment",
    ("docs/django.md", "show_details"): "a settings.py fragment",
    ("docs/django.md", "database_check"): "a settings.py fragment",
    ("docs/fastapi.md", "app."): "continues the app of the block before it",
    ("docs/flask.md", "DEPHEALTH_PAYMENT_API_URL"): "continues the app of the block before it",
    ("docs/flask.md", "flask_login"): "Flask-Login is not a dependency of the suite",
    ("docs/flask.md", "db = SQLAlchemy()  # Flask-SQLAlchemy"): "continues the block before it",
    ("docs/migrating-from-dephealth.md", "dephealth_lifespan("): (
        "a FastAPI app for uvicorn: tests/compat runs dephealth's FastAPI examples"
    ),
    ("docs/migrating-from-dephealth.md", "await dh.add_endpoint"): "inside a running app",
    ("docs/migrating-from-dephealth.md", "custom_check("): "continues the block before it",
    ("docs/pools.md", "pool=pool"): "names a pool the page builds in the app's startup",
    ("docs/starlette.md", ""): "Starlette apps served by uvicorn: examples/starlette_app.py runs",
}


def fragment(block: Block) -> str | None:
    page = str(block.page.relative_to(ROOT))
    for (where, text), why in FRAGMENTS.items():
        if page == where and text in block.code:
            return why
    return block.skip


BLOCKS = all_blocks()
RUNNABLE = [block for block in BLOCKS if fragment(block) is None]
#: What differs from run to run: latencies, lateness and timestamps.
_VARYING = [
    (re.compile(r"\d+(\.\d+)? ms\b"), "N ms"),
    (re.compile(r'"latency_ms":[0-9.e-]+'), '"latency_ms":N'),
    (re.compile(r'"lateness_ms":[0-9.e-]+'), '"lateness_ms":N'),
    (re.compile(r'"last_checked_at":"[^"]*"'), '"last_checked_at":T'),
]


def same_output(printed: str, shown: str) -> bool:
    def normal(text: str) -> str:
        text = text.strip()
        for pattern, replacement in _VARYING:
            text = pattern.sub(replacement, text)
        return text

    return normal(printed) == normal(shown)


@pytest.mark.parametrize("block", RUNNABLE, ids=[block.id for block in RUNNABLE])
def test_a_docs_code_block_runs_and_prints_what_the_page_shows(
    block: Block, tmp_path: Path
) -> None:
    """The block exits 0; when the page shows its output, it prints exactly that."""
    if block.toml is not None:
        (tmp_path / "dephealth.toml").write_text(block.toml, encoding="utf-8")
    script = tmp_path / "block.py"
    script.write_text(block.code, encoding="utf-8")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DEPHEALTH_")}
    environ.update(block.environ)
    environ["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT / "examples")])
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"{block.id} failed:\n{done.stderr[-3000:]}"
    if block.expected is not None:
        assert same_output(done.stdout, block.expected), (
            f"{block.id} printed otherwise:\n{done.stdout}"
        )


def test_few_blocks_are_fragments_and_each_says_why() -> None:
    """Most blocks run; each one that does not carries a reason."""
    skipped = [block for block in BLOCKS if fragment(block) is not None]
    assert all(fragment(block) for block in skipped)
    assert len(skipped) * 2 <= len(BLOCKS), [block.id for block in skipped]
