"""Collecting the test suite stays light: no test module imports TensorFlow at import time."""

from __future__ import annotations

import pytest

from tests.conftest import collected_files, heavy_at_collection


def test_collecting_the_suite_imports_no_tensorflow() -> None:
    # Every test worker collects the whole suite; one module importing TensorFlow (or the
    # mtcnn package, which imports it) at the top cost each worker 4 s of CPU, in a worker
    # that might never run a test needing it.  Import it inside the tests that do.
    if len(collected_files) < 100:
        pytest.skip("only a few test files were collected: run it with the whole suite")
    assert heavy_at_collection == []
