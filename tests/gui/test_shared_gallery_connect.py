"""File → Connect to a shared gallery…: the window switches to a PostgreSQL gallery."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSettings

from faceapp.session.gallery_files import LAST_KEY
from faceapp.storage.gallery import GalleryStore
from tests.storage.conftest import APP_PASSWORD, APP_ROLE, pg_server, pg_uri  # noqa: F401

from .gui_helpers import ListSource, fake_pipeline, grey_frames, make_ctx


def _window(make_window, qtbot, ctx):
    window = make_window(ctx, ListSource(grey_frames(), fps=20.0, name="grey"))
    qtbot.waitUntil(lambda: ctx.people_loaded and ctx.gallery_index() is not None)
    return window


def test_connect_to_a_shared_gallery_switches_the_window_and_never_shows_a_password(
    qtbot,
    make_window,
    tmp_path,
    pg_uri,  # noqa: F811 (the fixture imported above)
):
    from faceapp.gui.widgets.gallery_file import SharedGalleryDialog
    from faceapp.storage.postgres import PostgresStore

    PostgresStore(pg_uri).add_samples("Ann", [(np.eye(128, dtype=np.float32)[0], None, None)])
    store = GalleryStore(tmp_path / "gallery.sqlite3")
    store.add_samples("Bob", [(np.eye(128, dtype=np.float32)[1], None, None)])
    ctx = make_ctx(store, fake_pipeline())
    window = _window(make_window, qtbot, ctx)
    files = window.gallery_files
    file_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    assert files.connect_action in file_menu.actions()

    # The dialog refuses an address holding a password, and clears it from the field.
    dialog = SharedGalleryDialog(window)
    qtbot.addWidget(dialog)
    with_password = pg_uri.replace(f"{APP_ROLE}@", f"{APP_ROLE}:{APP_PASSWORD}@")
    dialog.address.setText(with_password)
    dialog.accept()
    assert dialog.result() != dialog.DialogCode.Accepted
    assert dialog.address.text() == "" and APP_PASSWORD not in dialog.error.text()
    assert ".pgpass" in dialog.error.text()
    dialog.address.setText("not an address")
    dialog.accept()
    assert dialog.result() != dialog.DialogCode.Accepted and "service=" in dialog.error.text()
    dialog.address.setText(f"  {pg_uri} ")
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted and dialog.location() == pg_uri

    with qtbot.waitSignal(files.open_finished, timeout=30_000) as sig:
        files.connect_shared(with_password)  # refused: no password is taken from the window
    assert sig.args[1] and ctx.store is store and APP_PASSWORD not in sig.args[0] + sig.args[1]
    files.last_message.accept()

    with qtbot.waitSignal(files.open_finished, timeout=30_000) as sig:
        files.connect_shared(pg_uri)
    assert sig.args[1] == ""
    assert isinstance(ctx.store, PostgresStore)
    qtbot.waitUntil(lambda: [p.name for p in ctx.people()] == ["Ann"], timeout=10_000)
    name = pg_uri.rsplit("/", 1)[1]
    assert window.windowTitle() == f"faceapp — {name}"
    tip = files.status_gallery.toolTip()
    assert f"{pg_uri}<" in tip and files.status_gallery.text() == f"Shared gallery: {name}"
    assert QSettings().value(LAST_KEY) == pg_uri  # the next start connects to it again
    files.recent_menu.aboutToShow.emit()  # the recent files still list with a database open
    with qtbot.waitSignal(files.open_finished, timeout=30_000) as sig:
        files.open_gallery(store.path)  # and back to the file
    assert sig.args[1] == "" and window.windowTitle() == "faceapp — gallery.sqlite3"
    qtbot.waitUntil(lambda: [p.name for p in ctx.people()] == ["Bob"], timeout=10_000)
