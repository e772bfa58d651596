"""The xdist scheduling of tests/scheduling.py: its units, and that what it names exists."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.scheduling import (
    HEAVIEST_FIRST,
    ONE_UNIT_PER_TEST,
    SMOKE,
    TENSORFLOW_FILES,
    TENSORFLOW_TESTS,
    TENSORFLOW_UNIT,
    work_unit,
)

REPO = Path(__file__).resolve().parents[1]


def _tests_of(path: str) -> set[str]:
    tree = ast.parse((REPO / path).read_text(encoding="utf-8"))
    return {f"{path}::{node.name}" for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_every_file_and_test_named_exists() -> None:
    # A renamed file or test would quietly lose its place (TensorFlow loaded twice, or a
    # minute-long test started last).
    files = {*TENSORFLOW_FILES, *ONE_UNIT_PER_TEST}
    files |= {u for u in HEAVIEST_FIRST if "::" not in u and u != TENSORFLOW_UNIT}
    assert sorted(f for f in files if not (REPO / f).is_file()) == []
    tests = {*TENSORFLOW_TESTS, *(u for u in HEAVIEST_FIRST if "::" in u)}
    defined = set().union(*(_tests_of(t.split("::")[0]) for t in tests))
    assert sorted(tests - defined) == []


def test_units_of_tensorflow_tests_smoke_tests_and_other_files() -> None:
    tf = [f"{f}::test_a[x::y]" for f in TENSORFLOW_FILES] + sorted(TENSORFLOW_TESTS)
    assert {work_unit(n) for n in tf} == {TENSORFLOW_UNIT}
    assert work_unit(f"{SMOKE}::test_suite_quick") == f"{SMOKE}::test_suite_quick"
    assert work_unit(f"{SMOKE}::test_b[1-2]") == f"{SMOKE}::test_b"
    assert work_unit("tests/gui/test_window.py::test_a[p]") == "tests/gui/test_window.py"
    assert work_unit("tests/test_cli.py::TestX::test_b") == "tests/test_cli.py"
