"""Imports point one way: schemas <- workers <- {stream, trainer}; bench sits on top and nothing imports it.

Every import in every module counts, including those inside functions and under
TYPE_CHECKING: a lazy import is still a dependency of the package that holds it.
The exceptions are listed by module and target below, and each must still be
needed (a stale entry fails too), so the list shrinks as the code is fixed.
"""

from __future__ import annotations

import ast
import gc
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("schemas", "workers", "stream", "trainer", "bench")

#: What each package may import from this project.
ALLOWED: dict[str, set[str]] = {
    "schemas": {"schemas"},
    "workers": {"schemas", "workers"},
    "stream": {"schemas", "workers", "stream"},
    "trainer": {"schemas", "workers", "trainer"},
    "bench": {"schemas", "workers", "stream", "bench"},
}

#: (module, imported package) pairs allowed against the rule above.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("stream/cli.py", "trainer"): "the CLI mounts the trainer's commands when the trainer extra is installed",
    ("stream/cli.py", "bench"): "the CLI mounts `emostream bench`",
}


def _imported_packages(path: Path, package: str) -> set[str]:
    """Top-level project packages imported anywhere in `path`, a module of `package` (relative imports resolved)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [package] if node.level else [node.module or ""]
        else:
            continue
        found.update(top for name in names if (top := name.split(".")[0]) in PACKAGES)
    return found


def _edges() -> set[tuple[str, str]]:
    # No garbage collection while parsing: a finalizer that runs inside CPython 3.11's AST constructor
    # (an object another test leaked) upsets its recursion bookkeeping ("AST constructor recursion depth
    # mismatch"), which would fail this test for someone else's leak.
    gc.collect()
    gc.disable()
    try:
        edges: set[tuple[str, str]] = set()
        for package in PACKAGES:
            for path in sorted((ROOT / package).rglob("*.py")):
                module = path.relative_to(ROOT).as_posix()
                edges.update((module, target) for target in _imported_packages(path, package))
        return edges
    finally:
        gc.enable()


def _violations(edges: set[tuple[str, str]]) -> set[tuple[str, str]]:
    return {(module, target) for module, target in edges if target not in ALLOWED[module.split("/")[0]]}


def test_imports_point_one_way_except_the_listed_exceptions() -> None:
    unexpected = sorted(_violations(_edges()) - EXCEPTIONS.keys())
    assert not unexpected, "imports against schemas <- workers <- {stream, trainer} <- bench: " + ", ".join(
        f"{m} imports {t}" for m, t in unexpected
    )


def test_every_listed_exception_is_still_needed() -> None:
    stale = sorted(EXCEPTIONS.keys() - _violations(_edges()))
    assert not stale, "remove these entries from EXCEPTIONS: " + ", ".join(f"{m} -> {t}" for m, t in stale)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import trainer.registry", {"trainer"}),
        ("from workers.engine import AnnotationEngine", {"workers"}),
        ("def f():\n    from trainer import cli", {"trainer"}),
        ("from . import records", {"stream"}),
        ("import json, numpy", set()),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from trainer.registry import X", {"trainer"}),
    ],
)
def test_imports_are_found_at_any_depth(tmp_path: Path, source: str, expected: set[str]) -> None:
    path = tmp_path / "module.py"
    path.write_text(source, encoding="utf-8")
    assert _imported_packages(path, "stream") == expected
