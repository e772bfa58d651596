"""Right-click or double-click a photo-results row: the face menu, on real photos and model."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication, QMenu

from .gui_helpers import letterboxed_folder, make_ctx

pytestmark = pytest.mark.model


def _entries(menu) -> list[str]:
    return [a.text() for a in menu.actions() if not a.isSeparator()]


@pytest.fixture
def results(qtbot, make_window, real_pipeline, demo_store, val_photos, tmp_path):
    """A folder run over Madonna alone (000.png) and Madonna beside Elton John (001.png)."""
    import cv2

    folder = letterboxed_folder(
        tmp_path / "photos", [val_photos["madonna"][0], val_photos["elton_john"][0]]
    )
    pair = np.hstack([cv2.imread(str(folder / "000.png")), cv2.imread(str(folder / "001.png"))])
    cv2.imwrite(str(folder / "001.png"), pair)
    ctx = make_ctx(demo_store, real_pipeline, photo_interval_s=0.0)
    window = make_window(ctx, str(folder))
    dialog = window.photos.dialog

    def done() -> bool:
        rows = dialog.rows()
        return len(rows) == 2 and all(r.processed for r in rows)

    qtbot.waitUntil(done, timeout=120_000)
    rows = dialog.rows()
    assert rows[0].names == ("Madonna",), rows[0]
    assert rows[1].faces == 2 and "Madonna" in rows[1].names, rows[1]
    return window


def test_a_row_of_one_face_offers_its_face_menu(results):
    menu = results.photos.dialog.row_menu(0)
    assert _entries(menu) == [
        "Show this photo",
        "Name this face…",
        "Add to Madonna…",
        "Add to",
        "This is not Madonna",
    ]
    add_to = next(a.menu() for a in menu.actions() if a.text() == "Add to")
    assert "Elton John" in [a.text() for a in add_to.actions()]
    assert menu.actions()[-1].isEnabled()


def test_a_row_of_two_faces_offers_one_submenu_per_face(results):
    menu = results.photos.dialog.row_menu(1)
    subs = [a for a in menu.actions() if a.menu() is not None]
    assert len(subs) == 2 and all(a.text().startswith("Face ") for a in subs)
    madonna = next(a.menu() for a in subs if a.text().endswith(": Madonna"))
    assert _entries(madonna)[0] == "Name this face…" and "This is not Madonna" in _entries(madonna)


def test_name_this_face_opens_the_enrol_dialog_on_that_face_of_the_photo(qtbot, results):
    from faceapp.gui.dialogs.enrol_dialog import EnrolDialog

    dialog = results.photos.dialog
    row = dialog.rows()[1]
    elton = next(i for i, fr in enumerate(row.results) if fr.label != "Madonna")
    box = row.results[elton].face.box
    sub = [a.menu() for a in dialog.row_menu(1).actions() if a.menu() is not None][elton]
    next(a for a in sub.actions() if a.text() == "Name this face…").trigger()
    enrol = next(
        w for w in QApplication.topLevelWidgets() if isinstance(w, EnrolDialog) and w.isVisible()
    )
    assert not enrol.guided and enrol.offer.face is not None
    got = enrol.offer.face.box
    assert abs(got.x - box.x) < box.w / 3 and abs(got.y - box.y) < box.h / 3
    assert got.x > 640 * 0.9  # the face on the right half: Elton John's, not Madonna's
    enrol.reject()


def test_this_is_not_x_on_a_row_stores_a_correction_named_after_the_photo(
    qtbot, results, demo_store
):
    assert demo_store.negatives("Madonna") == []
    results.photos.dialog.row_menu(0).actions()[-1].trigger()
    qtbot.waitUntil(lambda: len(demo_store.negatives("Madonna")) == 1, timeout=30_000)
    negative = demo_store.negatives("Madonna")[0]
    assert negative.source == "000.png" and negative.crop[:2] == b"\xff\xd8"


def test_double_click_shows_the_photo_and_opens_the_menu(qtbot, results):
    dialog = results.photos.dialog
    dialog.show()
    shown = []
    dialog.photo_requested.connect(shown.append)
    dialog.table.cellDoubleClicked.emit(0, 2)
    assert shown == [0]

    def menu_open() -> bool:
        return any(isinstance(w, QMenu) and w.isVisible() for w in QApplication.topLevelWidgets())

    qtbot.waitUntil(menu_open, timeout=5_000)
    menu = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMenu) and w.isVisible())
    assert "Name this face…" in _entries(menu)
    menu.close()
