"""The preferences file is private: it names people and may hold a network camera's password."""

from __future__ import annotations

import stat
from pathlib import Path

from PySide6.QtCore import QSettings

from faceapp.gui.preferences import load_settings, save_settings
from faceapp.settings import Settings


def test_saved_preferences_are_readable_by_their_owner_only(qapp, tmp_path: Path) -> None:
    path = tmp_path / "faceapp.ini"
    address = "rtsp://admin:S3cr3t@192.0.2.7/stream"
    save_settings(QSettings(str(path), QSettings.Format.IniFormat), Settings(source=address))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    save_settings(QSettings(str(path), QSettings.Format.IniFormat), Settings(claim="Ann"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # a rewrite keeps it private
    assert load_settings(QSettings(str(path), QSettings.Format.IniFormat)).claim == "Ann"
