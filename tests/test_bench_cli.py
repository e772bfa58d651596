"""``faceapp bench`` runs ``python -m benchmarks.suite`` in a source checkout, only there."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from faceapp.cli import run

REPO = Path(__file__).resolve().parents[1]


def test_bench_without_lfw_is_exit_2_one_line(tmp_path: Path, monkeypatch, capfd) -> None:
    # The suite runs in a child process (capfd sees its output); it stops before any model.
    monkeypatch.setenv("FACEAPP_LFW_DIR", str(tmp_path / "no-lfw"))
    code = run(["bench", "--quick", "--json"])
    out, err = capfd.readouterr()
    assert code == 2
    assert out == ""
    assert err.strip().splitlines() == [
        f"faceapp: the benchmarks need LFW at {tmp_path / 'no-lfw'} (or set FACEAPP_LFW_DIR)"
    ]


def test_bench_outside_a_source_checkout_says_so(tmp_path: Path) -> None:
    shutil.copytree(REPO / "faceapp", tmp_path / "faceapp", ignore=shutil.ignore_patterns("*.pyc"))
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "faceapp", "bench"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "faceapp: faceapp bench runs from a source checkout only (benchmarks/ is not installed)"
    ]
