"""Adapters live on the core's public surface: no adapter imports a private core module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"


def _private_core_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            parts = node.module.split(".")
            names = [alias.name for alias in node.names]
            if parts[0] == "dephealth_core" and (
                any(part.startswith("_") for part in parts[1:])
                or any(name.startswith("_") for name in names)
            ):
                found.append(f"{path.relative_to(SRC)}:{node.lineno} from {node.module}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "dephealth_core" and any(p.startswith("_") for p in parts[1:]):
                    found.append(f"{path.relative_to(SRC)}:{node.lineno} import {alias.name}")
    return found


@pytest.mark.parametrize("package", ["dephealth_starlette", "dephealth_flask", "dephealth_django"])
def test_adapters_import_only_public_core_names(package: str) -> None:
    """Every module of an adapter imports dephealth_core's public names only."""
    found = [
        line
        for path in sorted((SRC / package).rglob("*.py"))
        for line in _private_core_imports(path)
    ]
    assert found == []
