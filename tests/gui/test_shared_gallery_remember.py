"""The window remembers the shared gallery it used last, and recent addresses, never a password."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings

from faceapp.session.gallery_files import (
    LAST_KEY,
    SHARED_KEY,
    recent_shared_galleries,
    remember_gallery,
    remembered_gallery,
    startup_gallery,
)
from faceapp.storage.gallery import GalleryStore
from tests.storage.conftest import APP_PASSWORD, APP_ROLE, pg_server, pg_uri  # noqa: F401

from .gui_helpers import ListSource, fake_pipeline, grey_frames, make_ctx


def _preferences_text() -> str:
    qsettings = QSettings()
    qsettings.sync()
    path = Path(qsettings.fileName())
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def test_window_reopens_the_shared_gallery_and_lists_it_without_a_password(
    qtbot,
    make_window,
    tmp_path,
    pg_uri,  # noqa: F811 (the fixture imported above)
):
    from faceapp.storage.postgres import PostgresStore

    PostgresStore(pg_uri).add_samples("Ann", [(np.eye(128, dtype=np.float32)[0], None, None)])
    # The preferences live for the whole test session: forget what earlier tests connected to.
    QSettings().remove(SHARED_KEY)
    QSettings().remove(LAST_KEY)
    store = GalleryStore(tmp_path / "gallery.sqlite3")
    ctx = make_ctx(store, fake_pipeline())
    window = make_window(ctx, ListSource(grey_frames(), fps=20.0, name="grey"))
    qtbot.waitUntil(lambda: ctx.people_loaded, timeout=20_000)
    files = window.gallery_files

    with qtbot.waitSignal(files.open_finished, timeout=30_000) as sig:
        files.connect_shared(pg_uri)
    assert sig.args[1] == ""
    qsettings = QSettings()
    assert qsettings.value(LAST_KEY) == pg_uri
    assert recent_shared_galleries(qsettings) == [pg_uri]

    # An address with a password is never stored, however it comes.
    with_password = pg_uri.replace(f"{APP_ROLE}@", f"{APP_ROLE}:{APP_PASSWORD}@")
    remember_gallery(qsettings, with_password)
    assert qsettings.value(LAST_KEY) == pg_uri
    with qtbot.waitSignal(files.open_finished, timeout=30_000):
        files.connect_shared(with_password)  # refused
    files.last_message.accept()
    assert APP_PASSWORD not in _preferences_text() and pg_uri in _preferences_text()

    # File → Connect… offers the recent address; Open recent lists it too.
    files.connect_action.trigger()
    dialog = files.last_connect_dialog
    assert dialog is not None and dialog.address.text() == pg_uri
    model = dialog.address.completer().model()
    assert [model.index(i, 0).data() for i in range(model.rowCount())] == [pg_uri]
    dialog.reject()
    files.recent_menu.aboutToShow.emit()
    shared = [a for a in files.recent_menu.actions() if a.text().startswith("Shared:")]
    assert len(shared) == 1 and not shared[0].isEnabled()  # the one open now

    # The next start opens the shared gallery again.
    again = startup_gallery(None, qsettings)
    assert isinstance(again, PostgresStore) and again.conninfo == pg_uri
    assert [p.name for p in again.people()] == ["Ann"]
    assert APP_PASSWORD not in _preferences_text()


def test_a_stored_address_with_a_password_is_not_used(tmp_path):
    qsettings = QSettings(str(tmp_path / "prefs.ini"), QSettings.Format.IniFormat)
    qsettings.setValue(LAST_KEY, "postgresql://faceapp:hunter2@db.example/gallery")
    qsettings.setValue(SHARED_KEY, ["postgresql://faceapp:hunter2@db.example/gallery"])
    assert remembered_gallery(qsettings) is None
    assert recent_shared_galleries(qsettings) == []
    qsettings.setValue(LAST_KEY, "service=gallery")
    assert remembered_gallery(qsettings) == "service=gallery"
