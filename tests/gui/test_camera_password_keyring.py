"""A network camera's password lives in the desktop's keyring, or in the 0600 preferences file.

A real backend of the ``keyring`` library, held in this process (the machines running the
tests have no desktop keyring), set with ``keyring.set_keyring``.
"""

from __future__ import annotations

import logging
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

keyring = pytest.importorskip("keyring", reason="keyring is not installed (pip install keyring)")

from keyring.backends import fail  # noqa: E402

from faceapp.gui.dialogs.source_dialog import SourceDialog  # noqa: E402
from faceapp.gui.preferences import load_settings, save_settings  # noqa: E402
from faceapp.settings import Settings  # noqa: E402
from faceapp.storage.credentials import SERVICE  # noqa: E402
from tests.storage.test_credentials import MemoryKeyring  # noqa: E402

PASSWORD = "S3cr3t-pw"
CAMERA = f"rtsp://admin:{PASSWORD}@10.0.0.7:554/stream1"
SHOWN = "rtsp://admin:***@10.0.0.7:554/stream1"


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def preferences(path: Path) -> QSettings:
    return QSettings(str(path), QSettings.Format.IniFormat)


def reopen_from_recent(qtbot, settings: Settings) -> str:
    """Open the source dialog, pick the newest remembered address; return what it opens."""
    dialog = SourceDialog("demo", None, settings)
    qtbot.addWidget(dialog)
    dialog.address_combo.setCurrentIndex(0)
    dialog.network_radio.setChecked(True)
    assert dialog.address_combo.currentText() == SHOWN  # listed without the password
    spec = dialog.spec()
    dialog.reject()
    return spec


def test_with_a_keyring_the_preferences_file_never_holds_the_password(
    qapp, qtbot, tmp_path, memory_keyring, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "faceapp.conf"
    settings = Settings(source=CAMERA).with_recent("http://10.0.0.8/v.mjpg").with_recent(CAMERA)
    save_settings(preferences(path), settings)
    save_settings(preferences(path), settings)  # saved again (the window saves often)
    text = path.read_text()
    assert PASSWORD not in text
    assert SHOWN in text
    assert memory_keyring.items == {(SERVICE, SHOWN): CAMERA}

    # The next start: the address comes back whole, and the dialog reopens it.
    loaded = load_settings(preferences(path))
    assert loaded.source == CAMERA
    assert loaded.recent() == [CAMERA, "http://10.0.0.8/v.mjpg"]
    assert reopen_from_recent(qtbot, loaded) == CAMERA
    assert PASSWORD not in caplog.text


def test_without_a_keyring_the_address_stays_in_the_private_file(
    qapp, qtbot, tmp_path, no_keyring, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "faceapp.conf"
    save_settings(preferences(path), Settings().with_recent(CAMERA))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert CAMERA in path.read_text()
    loaded = load_settings(preferences(path))
    assert reopen_from_recent(qtbot, loaded) == CAMERA
    assert PASSWORD not in caplog.text


def test_passwords_saved_before_the_keyring_move_there_on_the_next_save(
    qapp, tmp_path, no_keyring, memory_keyring
) -> None:
    path = tmp_path / "faceapp.conf"
    keyring.set_keyring(fail.Keyring())
    save_settings(preferences(path), Settings().with_recent(CAMERA))  # an older faceapp
    keyring.set_keyring(memory_keyring)
    loaded = load_settings(preferences(path))
    assert loaded.recent() == [CAMERA]
    save_settings(preferences(path), loaded)
    assert PASSWORD not in path.read_text()
    assert load_settings(preferences(path)).recent() == [CAMERA]
