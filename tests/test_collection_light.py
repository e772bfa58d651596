"""Collecting the test suite stays light: no test module imports TensorFlow at import time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_COLLECT = """
import sys
import pytest
status = pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", "tests"])
heavy = [name for name in ("tensorflow", "keras", "mtcnn") if name in sys.modules]
print("HEAVY", heavy)
sys.exit(status)
"""


def test_collecting_the_suite_imports_no_tensorflow() -> None:
    # Every test worker collects the whole suite; one module importing TensorFlow (or the
    # mtcnn package, which imports it) at the top cost each worker 4 s of CPU, in a worker
    # that might never run a test needing it.  Import it inside the tests that do.
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    run = subprocess.run(
        [sys.executable, "-c", _COLLECT], capture_output=True, text=True, cwd=REPO, env=env
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "HEAVY []" in run.stdout, run.stdout[-2000:]
