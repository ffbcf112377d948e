"""The fenced code blocks of the docs, as a reader meets them page by page.

A ``python`` block is run as a script, with what the page set up before it: the
``export NAME=value`` lines of earlier ``bash`` blocks as its environment, and the page's
``toml`` blocks written to ``dephealth.toml`` in its working folder. When the next block is a
``text`` block, it is the output the page promises. An HTML comment
``<!-- docs-test: skip: why -->`` right before a block says it is a fragment that cannot run
alone (it needs a pool the page does not create, or starts a server).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
_FENCE = re.compile(
    r"^(?P<indent> *)```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```", re.M | re.S
)
_SKIP = re.compile(r"<!--\s*docs-test:\s*skip:?\s*(?P<why>.*?)\s*-->\s*$", re.S)


@dataclass
class Block:
    """A runnable block and what the page gives it."""

    page: Path
    line: int
    code: str
    environ: dict[str, str] = field(default_factory=dict)
    toml: str | None = None
    expected: str | None = None
    skip: str | None = None

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def _dedent(body: str, indent: str) -> str:
    return "".join(
        line[len(indent) :] if line.startswith(indent) else line for line in body.splitlines(True)
    )


def page_blocks(page: Path) -> list[Block]:
    """The python blocks of ``page``, each with the page's setup before it."""
    text = page.read_text(encoding="utf-8")
    fences = list(_FENCE.finditer(text))
    environ: dict[str, str] = {}
    toml: str | None = None
    blocks: list[Block] = []
    for index, fence in enumerate(fences):
        lang, body = fence["lang"], _dedent(fence["body"], fence["indent"])
        before = text[: fence.start()].rstrip("\n ")
        skip = _SKIP.search(before[-300:])
        if lang == "bash":
            for line in body.splitlines():
                if line.startswith("export "):
                    name, _, value = line[len("export ") :].partition("=")
                    parts = shlex.split(value)
                    environ[name] = parts[0] if parts else ""
        elif lang == "toml":
            toml = body
        elif lang == "python":
            following = fences[index + 1] if index + 1 < len(fences) else None
            expected = None
            if following is not None and following["lang"] == "text":
                between = text[fence.end() : following.start()]
                if not between.strip():
                    expected = _dedent(following["body"], following["indent"])
            blocks.append(
                Block(
                    page=page,
                    line=text.count("\n", 0, fence.start()) + 1,
                    code=body,
                    environ=dict(environ),
                    toml=toml,
                    expected=expected,
                    skip=skip["why"] if skip else None,
                )
            )
    return blocks


def all_blocks() -> list[Block]:
    return [block for page in PAGES for block in page_blocks(page)]
