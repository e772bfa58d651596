"""The window's picture helpers: frames and JPEG bytes to QImage or QPixmap, boxes, badges."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeVar

import cv2
import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QImage, QPainter, QPen, QPixmap

from faceapp.core.errors import ImageError
from faceapp.core.images import decode_image
from faceapp.core.types import Box
from faceapp.storage.people import initials

if TYPE_CHECKING:
    from faceapp.session.enrol_capture import BoxRole

#: Side of the thumbnails in the people list, in pixels.
THUMB_PX = 52

#: A picture: ``QImage`` (any thread) or ``QPixmap`` (GUI thread only).
Picture = TypeVar("Picture", QImage, QPixmap)


def fitted(picture: Picture, side: int, fill: bool = False) -> Picture:
    """Return ``picture`` scaled smoothly to fit ``side`` x ``side`` (to fill it: ``fill``).

    The aspect ratio is kept; a filled picture overflows the square on its longer side.
    """
    ratio = (
        Qt.AspectRatioMode.KeepAspectRatioByExpanding
        if fill
        else Qt.AspectRatioMode.KeepAspectRatio
    )
    return picture.scaled(side, side, ratio, Qt.TransformationMode.SmoothTransformation)


def thumbnail_image(data: bytes | None, side: int = THUMB_PX) -> QImage | None:
    """Return JPEG bytes decoded and scaled to fill ``side`` x ``side``, or None.

    Safe to call from any thread (``QImage``, unlike ``QPixmap``, is not tied to the GUI
    thread): the gallery thread decodes thumbnails before handing them over.
    """
    image = jpeg_image(data)
    if image is None:
        return None
    return fitted(image, side, fill=True)


def jpeg_image(data: bytes | None) -> QImage | None:
    """Return JPEG (or PNG) bytes decoded, unscaled, or None when empty or unreadable.

    Safe to call from any thread; the history thread decodes face crops with it.  The
    engine's :func:`~faceapp.core.images.decode_image` decodes, not Qt's image reader: the
    reader's first use in a process loads its format plugins and moves them to the GUI
    thread while PySide holds the GIL, which deadlocks against a GUI thread disconnecting
    a signal at that moment (it froze a test run).
    """
    if not data:
        return None
    try:
        pixels = decode_image(data, "stored picture")
    except ImageError:
        return None
    return qimage_from_bgr(pixels)


def placeholder_pixmap(name: str, side: int = THUMB_PX) -> QPixmap:
    """Return a round badge with the initials of ``name``, for people without a thumbnail.

    GUI thread only (a ``QPixmap``).
    """
    pm = QPixmap(side, side)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(QColor("#2c3440"))
    p.setPen(Qt.PenStyle.NoPen)
    p.drawEllipse(0, 0, side, side)
    p.setPen(QColor("#c9d1d9"))
    p.drawText(pm.rect(), Qt.AlignmentFlag.AlignCenter, initials(name))
    p.end()
    return pm


def jpeg_pixmap(data: bytes | None, name: str, side: int = THUMB_PX) -> QPixmap:
    """Return a ``side`` x ``side`` pixmap of JPEG bytes, or the initials badge of ``name``.

    GUI thread only (a ``QPixmap``).
    """
    pm = QPixmap()
    if data and pm.loadFromData(data):
        return fitted(pm, side, fill=True)
    return placeholder_pixmap(name, side)


def icon_of(image: QImage) -> QIcon:
    """Return an icon of a decoded picture (GUI thread only)."""
    return QIcon(QPixmap.fromImage(image))


#: ``QImage`` text key of a copy scaled for display: the size of the frame it shows, as
#: ``"<width>x<height>"`` (face boxes are in that frame's pixels).
SOURCE_SIZE_KEY = "faceapp-source-size"


def qimage_from_bgr(image: np.ndarray, size: tuple[int, int] | None = None) -> QImage:
    """Return a ``QImage`` that owns a copy of a BGR uint8 ``(h, w, 3)`` array.

    Safe to call from any thread; the result may be sent to the GUI thread.  The copy is
    in ``Format_RGB32`` (bytes B, G, R, 0xFF), the format Qt paints from directly: a
    ``Format_BGR888`` image would be converted again at every paint, on the GUI thread
    (1.3 ms more per frame at 640x360).

    Parameters
    ----------
    image : ndarray
    size : tuple of int, optional
        ``(width, height)`` to scale the copy to; it then records the frame's own size
        under :data:`SOURCE_SIZE_KEY` (see :func:`source_size`).
    """
    h, w = image.shape[:2]
    scaled = size is not None and size != (w, h)
    if scaled:
        assert size is not None
        shrink = size[0] * size[1] < w * h
        interp = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
        image = cv2.resize(image, size, interpolation=interp)
    bh, bw = image.shape[:2]
    out = QImage(bw, bh, QImage.Format.Format_RGB32)
    # Converted straight into the image's own buffer (rows of exactly 4 * bw bytes).
    pixels = np.frombuffer(out.bits(), np.uint8, count=bh * bw * 4).reshape(bh, bw, 4)
    done = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_BGR2BGRA, dst=pixels)
    if done is not pixels:  # OpenCV made its own array after all
        pixels[:] = done
    if scaled:
        out.setText(SOURCE_SIZE_KEY, f"{w}x{h}")
    return out


def source_size(image: QImage) -> tuple[int, int]:
    """Return ``(width, height)`` of the frame ``image`` shows: its own, unless scaled."""
    text = image.text(SOURCE_SIZE_KEY)
    if text:
        w, _, h = text.partition("x")
        if w.isdigit() and h.isdigit() and int(w) > 0 and int(h) > 0:
            return int(w), int(h)
    return image.width(), image.height()


#: Pen colours of the box roles (see :data:`~faceapp.session.enrol_capture.BoxRole`).
BOX_COLOURS: dict[BoxRole, QColor] = {
    "ok": QColor("#2ecc71"),
    "offered": QColor("#ffb454"),
    "other": QColor(160, 160, 160, 160),
    "plain": QColor(170, 170, 170),
}


def boxed_pixmap(
    image: np.ndarray, boxes: Iterable[tuple[Box, BoxRole]], side: int, numbered: bool = False
) -> QPixmap:
    """Return a BGR ``image`` with its face boxes drawn by role, fitted into ``side`` pixels.

    ``ok`` and ``offered`` boxes are thick; ``other`` faces are dimmed and dashed.
    ``numbered`` writes each box's number (from 1) in its corner.
    """
    picture: QImage = qimage_from_bgr(image)
    p = QPainter(picture)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    width = max(2.0, picture.width() / 200)
    font = QFont()
    font.setPixelSize(max(12, int(picture.width() / 25)))
    p.setFont(font)
    for i, (box, role) in enumerate(boxes):
        r = QRectF(box.x, box.y, box.w, box.h)
        pen = QPen(BOX_COLOURS[role], width * (1.5 if role in ("ok", "offered") else 1.0))
        if role == "other":
            p.fillRect(r, QColor(0, 0, 0, 150))
            pen.setStyle(Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.drawRect(r)
        if numbered:
            p.drawText(r.adjusted(width * 2, width, 0, 0), str(i + 1))
    p.end()
    return fitted(QPixmap.fromImage(picture), side)
