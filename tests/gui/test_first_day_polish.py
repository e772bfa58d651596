"""Everyday defects of the window (issue 17): Enter in guided capture, focus, layout, keys."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from faceapp.core.images import load_image
from faceapp.core.matching import GalleryIndex
from faceapp.core.sources import Frame, letterbox

from .gui_helpers import make_ctx


@pytest.fixture
def frontal_frame(real_pipeline, val_photos):
    """``(image, FrameResult)`` of Jerry Seinfeld facing the camera (640x480, read-only)."""
    image = letterbox(load_image(val_photos["jerry_seinfeld"][2]), (640, 480))
    image.setflags(write=False)
    return image, real_pipeline.process(image, GalleryIndex.empty())


def _show_active(qtbot, widget) -> None:
    widget.show()
    widget.activateWindow()
    qtbot.waitActive(widget)
    qtbot.waitUntil(lambda: widget.focusWidget() is not None)


# -- 1. guided capture: Enter and focus ------------------------------------------------------


@pytest.mark.model
def test_enter_in_guided_capture_keeps_the_samples_and_saves_them(
    qtbot, store, real_pipeline, frontal_frame
):
    from faceapp.gui.widgets.enrol_dialog import EnrolDialog

    ctx = make_ctx(store, real_pipeline)
    image, result = frontal_frame
    dialog = EnrolDialog(ctx, lambda: (Frame(image, 0, 0.0), result), "", guided=True)
    qtbot.addWidget(dialog)
    _show_active(qtbot, dialog)
    assert dialog.focusWidget() is dialog.name_edit  # type the name straight away
    panel = dialog.guided_panel
    qtbot.waitUntil(lambda: len(panel.shots) == 1)
    assert not panel.restart_button.autoDefault()  # "Start over" is never what Enter does

    # Enter before a name is typed: nothing happens, the sample stays.
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)
    assert len(panel.shots) == 1 and dialog.isVisible()
    assert panel.progress_label.text().startswith("1 of 5")
    # Enter with a name saves the samples taken.
    qtbot.keyClicks(dialog.name_edit, "Jerry Seinfeld")
    with qtbot.waitSignal(dialog.enrol_batch_requested) as saved:
        qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)
    assert saved.args[0] == "Jerry Seinfeld" and len(saved.args[1]) == 1
    assert not dialog.isVisible()


@pytest.mark.parametrize("guided", [True, False])
def test_the_name_field_has_the_focus_when_the_capture_dialog_opens(qtbot, store, guided):
    from faceapp.gui.widgets.enrol_dialog import EnrolDialog

    from .gui_helpers import fake_pipeline

    ctx = make_ctx(store, fake_pipeline())
    dialog = EnrolDialog(ctx, lambda: None, "Ann", guided=guided)
    qtbot.addWidget(dialog)
    _show_active(qtbot, dialog)
    assert dialog.focusWidget() is dialog.name_edit
    assert dialog.name_edit.selectedText() == "Ann"  # typing replaces the suggestion
    assert dialog.enrol_button.isDefault()
