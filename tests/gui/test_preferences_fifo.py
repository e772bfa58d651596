"""A preferences file that is a FIFO (or another non-regular file) is not read: the window starts
with the default preferences and closes on time (issue 17: it hung past --exit-after)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("which", ["faceapp/faceapp.conf", "faceapp.conf"])
def test_a_fifo_as_the_preferences_file_does_not_hang_the_window(
    tmp_path: Path, which: str
) -> None:
    config = tmp_path / "cfg"
    fifo = config / which
    fifo.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(fifo)
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(config),
        XDG_CONFIG_DIRS=str(tmp_path / "system"),
        PYTHONPATH=str(ROOT),
    )
    command = [sys.executable, "-m", "faceapp", "gui", "--exit-after", "1"]
    command += ["--gallery", str(tmp_path / "g.db"), "--source", str(tmp_path)]
    # The timeout only guards against a hang (the old window never got past QSettings()).
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "is not a regular file" in done.stderr and "default preferences" in done.stderr
    assert fifo.is_fifo()


def test_the_files_qsettings_reads_are_the_ones_checked(tmp_path: Path, monkeypatch) -> None:
    from faceapp.session.window_preferences import preferences_files

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_DIRS", "/etc/a:/etc/b")
    files = preferences_files("org", "app")
    assert files["user"] == [tmp_path / "org" / "app.conf", tmp_path / "org.conf"]
    assert files["system"][0] == Path("/etc/a/org/app.conf") and len(files["system"]) == 4
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/ignored")
    assert preferences_files("org", "app")["user"][0] == Path.home() / ".config/org/app.conf"
