"""Every page is reachable: all in the mkdocs nav, every checker linked from the front pages."""

from __future__ import annotations

import re

import pytest

from .blocks import ROOT

DOCS = ROOT / "docs"
CHECKERS = sorted(path.name for path in (DOCS / "checkers").glob("*.md"))


def test_every_page_is_in_the_nav() -> None:
    """No page of docs/ is left out of mkdocs.yml's nav (django.md was)."""
    nav = set(re.findall(r":\s*([\w/.-]+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(), re.M))
    pages = {str(path.relative_to(DOCS)) for path in DOCS.rglob("*.md")}
    assert pages - nav == set()


@pytest.mark.parametrize(
    ("page", "prefix"),
    [
        ("README.md", "docs/checkers/"),
        ("docs/index.md", "checkers/"),
        ("docs/configuration.md", "checkers/"),
    ],
)
def test_the_front_pages_link_every_checker(page: str, prefix: str) -> None:
    """README, the home page and the configuration page link all nine checker pages."""
    text = (ROOT / page).read_text()
    missing = [name for name in CHECKERS if f"]({prefix}{name})" not in text]
    assert missing == []
