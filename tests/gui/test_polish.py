"""Look and layout: disabled buttons, the checked radio, the smallest window, the empty hint."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from faceapp import paths
from faceapp.gui.widgets.empty_hint import EMPTY_GALLERY_HINT

from .gui_helpers import ListSource, fake_pipeline, grey_frames, make_ctx


@pytest.fixture(scope="module")
def style_sheet() -> str:
    return (paths.resources_dir() / "style.qss").read_text(encoding="utf-8")


def _pixels(image: QImage) -> np.ndarray:
    """Return the ``(n, 3)`` RGB values of ``image``."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, stride = image.width(), image.height(), image.bytesPerLine()
    raw = np.frombuffer(image.constBits(), np.uint8, count=stride * h).reshape(h, stride)
    return raw[:, : 3 * w].reshape(-1, 3).astype(int)


def _text_colour(widget: QWidget) -> tuple[QColor, QColor]:
    """Return (text colour, background colour) of a rendered button: its rarest extreme.

    The background is the commonest colour; the text colour the one farthest from it.
    """
    px = _pixels(widget.grab().toImage())
    colours, counts = np.unique(px, axis=0, return_counts=True)
    background = colours[np.argmax(counts)]
    text = px[np.argmax(np.abs(px - background).sum(axis=1))]
    return QColor(*map(int, text)), QColor(*map(int, background))


def _contrast(a: QColor, b: QColor) -> float:
    return abs(a.lightnessF() - b.lightnessF())


@pytest.mark.parametrize("name", ["danger", "", "primary"])
def test_disabled_buttons_look_disabled(qtbot, style_sheet, name):
    box = QWidget()
    box.setStyleSheet(style_sheet)
    enabled, disabled = QPushButton("Delete…"), QPushButton("Delete…")
    for b in (enabled, disabled):
        b.setObjectName(name)
    disabled.setEnabled(False)
    row = QHBoxLayout(box)
    row.addWidget(enabled)
    row.addWidget(disabled)
    qtbot.addWidget(box)
    box.show()
    on_text, on_back = _text_colour(enabled)
    off_text, off_back = _text_colour(disabled)
    assert _contrast(off_text, off_back) < _contrast(on_text, on_back) - 0.1, (on_text, off_text)
    if name == "danger":
        assert on_text.red() - on_text.green() > 60  # the enabled one is pink
        assert abs(off_text.red() - off_text.green()) < 30  # the disabled one is grey


def test_the_checked_source_is_clearly_marked(qtbot, style_sheet):
    from faceapp.gui.dialogs.source_dialog import SourceDialog

    dialog = SourceDialog("demo")
    dialog.setStyleSheet(style_sheet)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.demo_radio.isChecked()

    def accent(widget: QWidget) -> int:
        px = _pixels(widget.grab().toImage())
        return int(((px[:, 2] - px[:, 0] > 60) & (px[:, 2] > 150)).sum())

    checked = accent(dialog.demo_radio)
    assert checked > 100  # a blue dot and frame
    for radio in (dialog.video_radio, dialog.folder_radio):
        assert accent(radio) == 0
    # The row itself is tinted: its commonest colour differs from an unchecked row's.
    _, checked_back = _text_colour(dialog.demo_radio)
    _, unchecked_back = _text_colour(dialog.folder_radio)
    assert checked_back != unchecked_back
    dialog.video_radio.setChecked(True)
    assert accent(dialog.video_radio) > 100 and accent(dialog.demo_radio) == 0


@pytest.fixture
def many_people(store):
    rng = np.random.default_rng(0)
    for i in range(8):
        store.add_samples(f"Person {i}", [(rng.normal(size=128).astype(np.float32), None, None)])
    return store


@pytest.mark.parametrize("mode", ["recognition", "verification"])
def test_the_gallery_buttons_stay_in_view_at_900_by_600(
    qtbot, make_window, many_people, style_sheet, mode
):
    ctx = make_ctx(many_people, fake_pipeline(), mode=mode)
    window = make_window(ctx, ListSource(grey_frames(), fps=10.0))
    window.setStyleSheet(style_sheet)  # the real look: its paddings make the panels taller
    panel = window.gallery_panel
    qtbot.waitUntil(lambda: len(panel.names()) == 8)
    assert window.minimumSizeHint().width() <= 900
    assert window.minimumSizeHint().height() <= 600
    window.resize(900, 600)
    qtbot.waitUntil(lambda: window.size() == QSize(900, 600))
    buttons = (panel.capture_button, panel.add_files_button)

    def in_view(button: QPushButton) -> bool:
        where = QRect(button.mapTo(window, QPoint(0, 0)), button.size())
        # Inside the window, and not clipped by a scroll area either: all of it shows.
        return (
            button.isVisible()
            and window.rect().contains(where)
            and button.visibleRegion().boundingRect() == button.rect()
        )

    with contextlib.suppress(qtbot.TimeoutError):  # the layouts settle over a few events
        qtbot.waitUntil(lambda: all(map(in_view, buttons)), timeout=3000)
    for button in buttons:
        where = QRect(button.mapTo(window, QPoint(0, 0)), button.size())
        assert in_view(button), (button.text(), where, button.visibleRegion().boundingRect())


def test_the_empty_gallery_hint_shows_whenever_nobody_is_enrolled(qtbot, make_window, store):
    ctx = make_ctx(store, fake_pipeline())
    window = make_window(ctx, ListSource(grey_frames(), fps=10.0))
    hint = window.empty_hint
    qtbot.waitUntil(lambda: ctx.people_loaded)
    qtbot.waitUntil(hint.isVisible)
    assert hint.text() == EMPTY_GALLERY_HINT
    assert window.video_view.rect().contains(hint.geometry())
    vector = np.eye(128, dtype=np.float32)[0]
    with qtbot.waitSignal(ctx.gallery_changed):
        ctx.gallery.add_samples("Ann", [(vector, None, None)])
    assert not hint.isVisible()
    ann = ctx.person_named("Ann")
    sample = store.samples("Ann")[0].id
    with qtbot.waitSignal(ctx.gallery_changed):
        ctx.gallery.remove_sample(sample, ann.id)  # Ann stays, with no face: nobody can be matched
    assert hint.isVisible()
    with qtbot.waitSignal(ctx.gallery_changed):
        ctx.gallery.add_samples("Ann", [(vector, None, None)])
    assert not hint.isVisible()
    with qtbot.waitSignal(ctx.gallery_changed):
        ctx.gallery.remove_person(ann.id)
    assert hint.isVisible()  # every time, not once
    window.resize(900, 600)
    qtbot.waitUntil(lambda: window.size() == QSize(900, 600))
    qtbot.waitUntil(lambda: window.video_view.rect().contains(hint.geometry()))
