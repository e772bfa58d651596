"""The test run's last resort against a hang: a test that holds the GIL still ends."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_HOLDS_THE_GIL = """
import ctypes


def test_sleeps_in_c_holding_the_gil():
    # PyDLL keeps the GIL across the call, as PySide did inside Qt in the deadlock.
    ctypes.PyDLL(None).sleep(60)
"""


def test_a_test_hung_with_the_gil_held_ends_with_every_threads_stack(tmp_path: Path) -> None:
    test = tmp_path / "test_hold.py"
    test.write_text(_HOLDS_THE_GIL)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        + ["-p", "tests.hang_watchdog", "-o", "timeout=2", "-o", "timeout_method=thread"]
        + [str(test)],
        capture_output=True,
        text=True,
        timeout=50,  # pytest-timeout alone cannot act: the sleep would run its 60 s
        cwd=REPO,
    )
    assert run.returncode != 0
    assert "Timeout (0:00:02.4" in run.stderr, run.stderr
    assert "test_sleeps_in_c_holding_the_gil" in run.stderr
