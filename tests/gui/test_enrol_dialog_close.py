"""The capture dialog stops looking at frames however it closes (Close, Escape, Cancel)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from .gui_helpers import fake_pipeline, make_ctx


@pytest.mark.parametrize("how", ["close", "escape", "cancel"])
def test_closing_the_capture_dialog_stops_its_frame_poll(qtbot, store, how):
    from faceapp.gui.dialogs.enrol_dialog import EnrolDialog

    dialog = EnrolDialog(make_ctx(store, fake_pipeline()), lambda: None, "Ann", guided=True)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog._poll.isActive()  # guided: it keeps looking for newer frames
    if how == "close":
        dialog.close()
    elif how == "escape":
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    else:
        dialog.buttons.rejected.emit()
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert not dialog._poll.isActive()
