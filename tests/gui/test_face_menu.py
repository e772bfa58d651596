"""Right-click a face in the live view: Name this face…, Add to X…, This is not X (real faces)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication

from faceapp.core.sources import ImageFolderSource

from .gui_helpers import ListSource, letterboxed_folder, make_ctx

pytestmark = pytest.mark.model


@pytest.fixture
def madonna_window(qtbot, make_window, real_pipeline, demo_store, val_photos, tmp_path):
    """A window showing a real photo of Madonna (enrolled) as a slow clip."""
    folder = letterboxed_folder(tmp_path / "still", [val_photos["madonna"][0]])
    source = ImageFolderSource(folder)
    source.open()
    frame = source.read().image
    ctx = make_ctx(demo_store, real_pipeline)
    window = make_window(ctx, ListSource([frame], fps=4.0, name="clip"))
    view = window.video_view

    def named() -> bool:
        result = view.visible_result()
        return result is not None and any(fr.known for fr in result.faces)

    qtbot.waitUntil(named, timeout=120_000)
    return window


def _madonna(view) -> int:
    result = view.visible_result()
    return next(i for i, fr in enumerate(result.faces) if fr.known)


def _entries(menu) -> list[str]:
    return [a.text() for a in menu.actions() if not a.isSeparator()]


def test_the_face_under_the_cursor_gets_a_menu_with_its_name(madonna_window):
    view = madonna_window.video_view
    i = _madonna(view)
    centre = view.face_box(i).center()
    assert view.face_at(centre) == i
    assert view.face_at(QPoint(1, 1)) is None  # the letterbox: no face, no menu
    menu = view.face_menu(i)
    assert _entries(menu) == [
        "Name this face…",
        "Add to Madonna…",
        "Add to",
        "This is not Madonna",
    ]
    add_to = next(a.menu() for a in menu.actions() if a.text() == "Add to")
    assert "Madonna" not in [a.text() for a in add_to.actions()]
    assert "Elton John" in [a.text() for a in add_to.actions()]
    wrong = menu.actions()[-1]
    assert wrong.isEnabled()


def test_name_this_face_opens_the_enrol_dialog_on_that_face(qtbot, madonna_window):
    from faceapp.gui.dialogs.enrol_dialog import EnrolDialog

    view = madonna_window.video_view
    i = _madonna(view)
    box = view.visible_result().faces[i].face.box
    next(a for a in view.face_menu(i).actions() if a.text() == "Name this face…").trigger()
    dialog = next(
        w for w in QApplication.topLevelWidgets() if isinstance(w, EnrolDialog) and w.isVisible()
    )
    assert not dialog.guided and dialog.offer.face is not None
    got = dialog.offer.face.box
    assert abs(got.x - box.x) < box.w / 3 and abs(got.y - box.y) < box.h / 3
    assert dialog.name_edit.text() == ""
    dialog.reject()


def test_this_is_not_x_stores_a_correction(qtbot, madonna_window, demo_store):
    view = madonna_window.video_view
    i = _madonna(view)
    assert demo_store.negatives("Madonna") == []
    view.face_menu(i).actions()[-1].trigger()
    qtbot.waitUntil(lambda: len(demo_store.negatives("Madonna")) == 1, timeout=30_000)
    negative = demo_store.negatives("Madonna")[0]
    assert negative.source == "live view" and negative.crop[:2] == b"\xff\xd8"


def test_a_failed_correction_is_said_in_plain_words(qtbot, madonna_window, monkeypatch):
    """The status bar shows plain text: the failure must not arrive wrapped in markup."""
    from faceapp.gui import face_actions

    def fail(*_args):
        raise ValueError("no face <here>")

    monkeypatch.setattr(face_actions, "correction_of", fail)
    view = madonna_window.video_view
    view.face_menu(_madonna(view)).actions()[-1].trigger()
    status = madonna_window.statusBar()
    qtbot.waitUntil(lambda: "Not corrected" in status.currentMessage(), timeout=30_000)
    said = status.currentMessage()
    assert said.startswith("Not corrected (Madonna): ") and said.endswith("no face <here>")
