"""Names and file names are shown as the characters they are, never as markup (issue 8).

Each check renders the widget offscreen: what is on screen must be pixel for pixel the
plain-text rendering of the literal string, and differ from its rich-text rendering.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage, QTextDocumentFragment
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QProgressDialog

from faceapp.core.matching import DEFAULT_STRANGER_RATE
from faceapp.core.types import Box, Face, FaceResult, FrameResult, Match
from faceapp.gui.safe_text import html_literal
from faceapp.session.outlook_text import more_samples_text
from faceapp.session.verdict import verification_verdict

from .gui_helpers import ListSource, celebrity_photos, fake_pipeline, grey_frames, make_ctx

#: A name a hostile user could enrol: bold markup and an image pointing at a local file.
HOSTILE = "<b>Boss</b><img src='/etc/passwd'>"


def _rendering(label: QLabel, text: str, fmt: Qt.TextFormat) -> QImage:
    saved_text, saved_format = label.text(), label.textFormat()
    label.setTextFormat(fmt)
    label.setText(text)
    image = label.grab().toImage()
    label.setTextFormat(saved_format)
    label.setText(saved_text)
    return image


def _displayed_text(text: str, fmt: Qt.TextFormat) -> str:
    """Return the characters a QLabel in format ``fmt`` shows for ``text``."""
    rich = fmt == Qt.TextFormat.RichText or (
        fmt == Qt.TextFormat.AutoText and GuiQt.mightBeRichText(text)
    )
    return QTextDocumentFragment.fromHtml(text).toPlainText() if rich else text


def assert_shows_literally(label: QLabel, literal: str) -> None:
    """Assert that ``label`` shows ``literal`` character for character."""
    assert _displayed_text(label.text(), label.textFormat()) == literal
    shown = label.grab().toImage()
    assert shown == _rendering(label, literal, Qt.TextFormat.PlainText)
    assert shown != _rendering(label, literal, Qt.TextFormat.RichText)


def _unit(k: int) -> np.ndarray:
    v = np.zeros(128, np.float32)
    v[k] = 1.0
    return v


def test_html_literal_renders_exactly_the_text(qapp):
    text = f"{HOSTILE}  two  spaces\nand & < > a line"
    literal = html_literal(text)
    assert GuiQt.mightBeRichText(literal)  # so Qt never shows the entities themselves
    assert QTextDocumentFragment.fromHtml(literal).toPlainText() == text
    label = QLabel()
    label.resize(500, 60)
    label.setText(literal)
    assert_shows_literally(label, text)


@pytest.fixture
def hostile_window(qtbot, make_window, store):
    store.add_samples(HOSTILE, [(_unit(0), None, "<i>x</i>.jpg")])
    store.add_samples("Ann", [(_unit(1), None, None)])
    ctx = make_ctx(store, fake_pipeline())
    window = make_window(ctx, ListSource(grey_frames(), fps=20.0))
    panel = window.gallery_panel
    qtbot.waitUntil(lambda: sorted(panel.names()) == sorted([HOSTILE, "Ann"]))
    return window


def test_the_gallery_list_and_its_tooltip_show_the_name(hostile_window):
    panel = hostile_window.gallery_panel
    index = panel.model.index(panel.model.row_of_name(HOSTILE))
    assert index.data() == f"{HOSTILE}\n1 sample · add more"  # item views draw plain text
    tip = index.data(Qt.ItemDataRole.ToolTipRole)
    label = QLabel()  # a tool tip is a label with automatic text format
    label.resize(1400, 60)
    label.setText(tip)
    more = more_samples_text(2, DEFAULT_STRANGER_RATE).replace("\u00a0", " ")  # Qt: a space
    enrolled = tip.split("enrolled ")[1][:10]
    assert_shows_literally(label, f"{HOSTILE}: 1 sample, enrolled {enrolled}\n{more}")


def test_the_samples_dialog_title_shows_the_name(qtbot, hostile_window):
    from faceapp.gui.dialogs.samples_dialog import SamplesDialog

    panel = hostile_window.gallery_panel
    panel.select(HOSTILE)
    panel.samples_button.click()
    dialog = panel.findChild(SamplesDialog)
    qtbot.waitUntil(lambda: len(dialog.sample_ids()) == 1)
    assert dialog.windowTitle() == f"Samples of {HOSTILE}"
    assert_shows_literally(dialog.title_label, f"{HOSTILE} — 1 sample")
    tip = dialog.table.item(0, 0).toolTip()
    assert (
        QTextDocumentFragment.fromHtml(tip).toPlainText().startswith("Sample 1 from <i>x</i>.jpg")
    )
    dialog.close()


def _answer_modal(qtbot, inspect, answer) -> list:
    """Call ``inspect(box)`` on the next modal dialog, then ``answer(box)`` to close it."""
    seen: list = []
    tries = [500]  # 5 s: a dialog that never comes must not answer a later test's

    def check() -> None:
        box = QApplication.activeModalWidget()
        if box is None:
            tries[0] -= 1
            if tries[0] > 0:
                QTimer.singleShot(10, check)
            return
        try:
            inspect(box)
            seen.append(box)
        finally:
            answer(box)

    QTimer.singleShot(0, check)
    return seen


def test_the_delete_confirmation_shows_the_name(qtbot, hostile_window, store):
    panel = hostile_window.gallery_panel
    panel.select(HOSTILE)

    def inspect(box):
        assert isinstance(box, QMessageBox)
        label = box.findChild(QLabel, "qt_msgbox_label")
        assert_shows_literally(
            label,
            f"Delete {HOSTILE} and all their face samples from the gallery?\n"
            "This cannot be undone.",
        )

    seen = _answer_modal(
        qtbot, inspect, lambda box: box.button(QMessageBox.StandardButton.No).click()
    )
    panel.delete_button.click()
    assert len(seen) == 1
    assert store.find_person(HOSTILE) is not None  # "No" deleted nothing


def test_the_rename_dialog_shows_the_name(qtbot, hostile_window, store):
    panel = hostile_window.gallery_panel
    panel.select(HOSTILE)

    def inspect(dialog):
        label = dialog.findChild(QLabel)
        assert_shows_literally(label, f"New name for {HOSTILE}:")

    seen = _answer_modal(qtbot, inspect, lambda dialog: dialog.reject())
    panel.rename_button.click()
    assert len(seen) == 1
    assert store.find_person(HOSTILE) is not None


def test_the_mode_panel_shows_names_as_text(qtbot, hostile_window, monkeypatch):
    ctx = hostile_window.ctx
    panel = hostile_window.mode_panel
    lm = ((130.0, 140.0), (170.0, 140.0), (150.0, 160.0), (135.0, 180.0), (165.0, 180.0))
    face = Face(Box(100, 100, 100, 100), lm, 0.99)
    result = FrameResult(0, 0.0, (FaceResult(face, Match(HOSTILE, 0.5, 1.07, True, 1)),))
    panel._on_current_result_changed(result)
    panel.in_view_label.resize(500, 30)
    assert_shows_literally(panel.in_view_label, f"In view: {HOSTILE} (0.50)")
    ctx.update_settings(mode="verification", claim=HOSTILE)
    assert panel.claim_combo.currentText() == HOSTILE
    no_samples = Match(HOSTILE, float("inf"), 1.07, False)
    shown = FrameResult(1, 0.0, (FaceResult(face, no_samples),))
    # The panel shows the context's verdict of the result on screen; the demo frames
    # stream on, so that verdict is pinned to this result here.
    monkeypatch.setattr(ctx, "verdict", lambda: verification_verdict(shown, HOSTILE))
    panel._on_current_result_changed(shown)
    panel.detail_label.resize(500, 30)
    assert_shows_literally(panel.detail_label, f"{HOSTILE} has no usable samples.")


def test_a_file_name_in_the_source_banner_is_text(qtbot, hostile_window, tmp_path):
    missing = tmp_path / "<b>holiday</b>.mp4"
    hostile_window.open_source(str(missing))
    banner = hostile_window.source_banner
    assert banner.isVisible() and "<b>holiday</b>.mp4" in banner.text()
    assert_shows_literally(banner.label, banner.text())


def test_the_enrol_dialog_hint_and_progress_show_the_name(qtbot, hostile_window, tmp_path):
    from faceapp.core.sources import Frame
    from faceapp.gui.dialogs.enrol_dialog import EnrolDialog

    ctx = hostile_window.ctx
    image = np.full((240, 320, 3), 120, np.uint8)
    image.setflags(write=False)
    pipeline = fake_pipeline()
    result = pipeline.process(image, ctx.gallery_index() or _empty())
    dialog = EnrolDialog(ctx, lambda: (Frame(image, 0, 0.0), result), HOSTILE.upper(), guided=False)
    qtbot.addWidget(dialog)
    dialog.name_edit.setText(HOSTILE)
    assert_shows_literally(dialog.name_hint, f"Adds sample #2 to {HOSTILE}.")

    photos = celebrity_photos("train")
    if not photos:
        pytest.skip("the 5-celebrity photos are absent")
    files = photos["madonna"][:2]
    job = hostile_window.enrolment.enrol_files(HOSTILE, files)
    progress = hostile_window.findChild(QProgressDialog)
    label = progress.findChild(QLabel)
    assert_shows_literally(label, f"Enrolling 2 photo(s) of {HOSTILE}…")
    hostile_window.worker.loop.cancel_job(job)


def _empty():
    from faceapp.core.matching import GalleryIndex

    return GalleryIndex.empty()
