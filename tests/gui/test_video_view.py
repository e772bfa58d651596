"""The video view: pictures handed over in the format Qt paints from, one paint per frame."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor, QImage

from faceapp.core.types import FrameResult
from faceapp.gui.images import qimage_from_bgr

from .gui_helpers import make_ctx


def test_a_bgr_frame_becomes_an_rgb32_picture_with_the_same_colours():
    frame = np.zeros((4, 6, 3), np.uint8)
    frame[0, 0] = (255, 0, 0)  # blue, in OpenCV's order
    frame[1, 2] = (0, 0, 255)  # red
    frame[3, 5] = (10, 200, 30)
    image = qimage_from_bgr(frame[:, :])
    assert image.format() == QImage.Format.Format_RGB32
    assert (image.width(), image.height()) == (6, 4)
    assert image.pixelColor(0, 0) == QColor(0, 0, 255)
    assert image.pixelColor(2, 1) == QColor(255, 0, 0)
    assert image.pixelColor(5, 3) == QColor(30, 200, 10)
    frame[0, 0] = 0
    assert image.pixelColor(0, 0) == QColor(0, 0, 255)  # a copy: the frame may be reused


def shown_view(qtbot, store, width: int, height: int):
    """A video view of a fresh context, shown at ``width`` x ``height``; returns both."""
    from faceapp.gui.widgets.video_view import VideoView

    ctx = make_ctx(store, pipeline=None)
    view = VideoView(ctx)
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    qtbot.waitExposed(view)
    return ctx, view


def test_a_frame_and_its_result_are_painted_once_and_a_lone_frame_soon(qtbot, store, monkeypatch):
    from faceapp.gui.widgets import video_view

    monkeypatch.setattr(video_view, "PAINT_WAIT_MS", 400)  # long enough for a loaded machine
    ctx, view = shown_view(qtbot, store, 320, 240)
    paints = []
    original = view.paintEvent

    def counting(event):
        paints.append(view.image())
        original(event)

    view.paintEvent = counting  # type: ignore[method-assign]
    picture = qimage_from_bgr(np.full((120, 160, 3), 90, np.uint8))
    qtbot.wait(50)
    paints.clear()
    ctx.publish_frame(picture, 1, 0.0)
    qtbot.wait(40)  # the events of a few milliseconds, as when the result takes a while
    ctx.publish_result(FrameResult(1, 0.0, ()))  # the frame's result: now both are painted
    qtbot.wait(100)
    assert len(paints) == 1 and paints[0] is not None
    paints.clear()
    ctx.publish_frame(picture, 2, 0.04)  # no result follows: painted all the same
    qtbot.waitUntil(lambda: len(paints) == 1, timeout=2000)


def test_frames_are_scaled_for_the_view_in_the_capture_thread_and_boxes_stay_on_the_face(
    qtbot, store
):
    from faceapp.core.types import Box, Face, FaceResult, Match
    from faceapp.gui.images import source_size
    from faceapp.gui.widgets.video_view import MATCH_COLOUR

    ctx, view = shown_view(qtbot, store, 800, 500)
    frame = np.full((360, 640, 3), 90, np.uint8)
    ctx.publish_frame(qimage_from_bgr(frame), 1, 0.0)  # the first frame tells the shape
    qtbot.waitUntil(lambda: ctx.display_size.get() is not None, timeout=2000)
    assert ctx.display_size.get() == (800, 450)  # 640x360 fitted into 800x500
    scaled = qimage_from_bgr(frame, ctx.display_size.get())
    assert (scaled.width(), scaled.height()) == (800, 450)
    assert source_size(scaled) == (640, 360)
    face = Face(Box(100, 100, 120, 160), ((0.0, 0.0),) * 5, 0.99)  # type: ignore[arg-type]
    match = Match("ann", 0.4, 1.07, True, 1)
    ctx.publish_frame(scaled, 2, 0.04)
    ctx.publish_result(FrameResult(2, 0.04, (FaceResult(face, match, 1),)))
    qtbot.wait(100)
    shot = view.grab().toImage()
    # The box's left edge: frame x=100 is 125 px into the picture, which starts at y=25.
    k = 800 / 640
    x, y = round(100 * k), round(25 + 180 * k)
    assert shot.pixelColor(x, y) == MATCH_COLOUR
    assert shot.pixelColor(x + 20, y) != MATCH_COLOUR  # inside the box: the picture
    view.resize(400, 500)
    assert ctx.display_size.get() == (400, 225)


def test_a_maybe_face_is_labelled_maybe_in_amber_apart_from_named_and_unknown(qtbot, store):
    from PySide6.QtGui import QFont, QFontMetricsF

    from faceapp.core.types import Box, Face, FaceResult, Match
    from faceapp.gui.widgets.video_view import (
        MATCH_COLOUR,
        MAYBE_COLOUR,
        NO_MATCH_COLOUR,
    )
    from faceapp.session.face_labels import face_label

    ctx, view = shown_view(qtbot, store, 640, 480)
    landmarks = ((0.0, 0.0),) * 5
    faces = (  # named, maybe, unknown: side by side, labels above the boxes
        FaceResult(Face(Box(40, 200, 120, 160), landmarks, 0.99), Match("Ann", 0.5, 0.84, True, 1)),
        FaceResult(
            Face(Box(250, 200, 120, 160), landmarks, 0.99),
            Match("Bob", 0.95, 0.84, False, 2, maybe=True),
        ),
        FaceResult(Face(Box(460, 200, 120, 160), landmarks, 0.99), Match(None, 1.3, 0.84, False)),
    )
    ctx.publish_frame(qimage_from_bgr(np.full((480, 640, 3), 90, np.uint8)), 1, 0.0)
    with qtbot.waitSignal(ctx.current_result_changed):
        ctx.publish_result(FrameResult(1, 0.0, faces))
    assert face_label(faces[1], "recognition") == ("maybe Bob?  0.95", False)
    assert view.visible_result().faces[1].label == "maybe Bob?"
    shot = view.grab().toImage()
    font = QFont(view.font())
    font.setBold(True)
    font.setPointSizeF(max(9.0, min(14.0, 120 / 12)))
    h = QFontMetricsF(font).height() + 4
    y = round(200 - 2 - h / 2)  # half-way up the label above each box
    colours = [shot.pixelColor(round(f.face.box.x) + 1, y) for f in faces]  # its padding
    assert colours == [MATCH_COLOUR, MAYBE_COLOUR, NO_MATCH_COLOUR]


def test_a_label_wider_than_the_picture_is_cut_and_stays_inside_it(qapp):
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QFont, QFontMetricsF

    from faceapp.gui.widgets.video_view import label_geometry

    fm = QFontMetricsF(QFont())
    target = QRectF(0, 40, 320, 180)  # a 16:9 picture in a taller view
    name = "Maria de los Ángeles Fernández-Villaverde y Montenegro " * 2 + "0.52"
    for box in (QRectF(250, 100, 60, 60), QRectF(2, 41, 60, 60), QRectF(100, 150, 60, 60)):
        text, label = label_geometry(name, fm, box, target)
        assert target.contains(label), (box, label)
        assert text != name and "…" in text and text.endswith("0.52")
        assert fm.horizontalAdvance(text) <= label.width()
    short, label = label_geometry("Ann 0.52", fm, QRectF(100, 100, 60, 60), target)
    assert short == "Ann 0.52" and label.left() == 99 and label.bottom() == 98
