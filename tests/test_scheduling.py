"""The xdist scheduler of tests/scheduling.py keeps TensorFlow's test files on one worker."""

from __future__ import annotations

from pathlib import Path

from tests.scheduling import TENSORFLOW_FILES, TENSORFLOW_UNIT, work_unit

REPO = Path(__file__).resolve().parents[1]


def test_every_listed_file_exists() -> None:
    # A file renamed without the list would quietly get a worker (and TensorFlow) of its own.
    assert sorted(f for f in TENSORFLOW_FILES if not (REPO / f).is_file()) == []


def test_tensorflow_files_share_one_unit_and_others_keep_their_file() -> None:
    units = {work_unit(f"{f}::test_a[x::y]") for f in TENSORFLOW_FILES}
    assert units == {TENSORFLOW_UNIT}
    assert work_unit("tests/gui/test_window.py::test_a") == "tests/gui/test_window.py"
    assert work_unit("tests/test_cli.py::TestX::test_b") == "tests/test_cli.py"
