"""Every benchmark entry point runs at a tiny size and gives its figures (none is checked for speed).

A benchmark that needs LFW is skipped with the reason when ``../shared/data/lfw`` (or
``FACEAPP_LFW_DIR``) is absent; one that loads the face models is marked ``model``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks.data import LFW_DIR
from faceapp import paths

REPO = Path(__file__).resolve().parents[1]

needs_lfw = pytest.mark.skipif(
    not (LFW_DIR / "pairs.txt").is_file(),
    reason=f"LFW is absent at {LFW_DIR} (only the project's shared data has it)",
)
needs_celebrities = pytest.mark.skipif(
    not (paths.celebrity_dir() / "train").is_dir(),
    reason="the 5-celebrity photos are not fetched (run 'faceapp weights fetch')",
)


def bench(module: str, *argv: str, timeout: float = 600) -> dict:
    """Run ``python -m benchmarks.<module> argv`` in a child; return its one JSON document."""
    env = dict(os.environ, PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{module}", *argv],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def main_json(capsys, main, *argv: str) -> dict:
    """Run a benchmark's ``main(argv)`` in this process; return the JSON it printed."""
    assert main(list(argv)) in (0, None)
    return json.loads(capsys.readouterr().out)


# -- no model, no LFW ------------------------------------------------------------------------


def test_gui_stall_runs_with_a_thousand_people() -> None:
    report = bench("gui_stall", "--people", "1000", "--thumbs", "10", "--load-s", "1")
    assert report["gallery"]["people"] == 1000
    assert report["gallery"]["samples"] == 1100  # every tenth person has two samples
    for phase in ("open", "idle", "enrol", "rename", "scroll", "filter", "slider"):
        assert report[phase]["done"] is True, (phase, report[phase])
        stall = report[phase].get("max_stall_ms_worst", report[phase].get("max_stall_ms"))
        assert stall >= 0, phase
    assert len(report["close_during_load"]["close_s_each"]) == 1
