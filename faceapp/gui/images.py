"""The window's picture helpers: JPEG bytes to QImage or QPixmap, and the initials badge."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap

from faceapp.storage.people import initials

#: Side of the thumbnails in the people list, in pixels.
THUMB_PX = 52


def thumbnail_image(data: bytes | None, side: int = THUMB_PX) -> QImage | None:
    """Return JPEG bytes decoded and scaled to fill ``side`` x ``side``, or None.

    Safe to call from any thread (``QImage``, unlike ``QPixmap``, is not tied to the GUI
    thread): the gallery thread decodes thumbnails before handing them over.
    """
    image = jpeg_image(data)
    if image is None:
        return None
    return image.scaled(
        side,
        side,
        Qt.AspectRatioMode.KeepAspectRatioByExpanding,
        Qt.TransformationMode.SmoothTransformation,
    )


def jpeg_image(data: bytes | None) -> QImage | None:
    """Return JPEG (or PNG) bytes decoded, unscaled, or None when empty or unreadable.

    Safe to call from any thread; the history thread decodes face crops with it.
    """
    if not data:
        return None
    image = QImage.fromData(data)  # the format is recognised by its header
    return None if image.isNull() else image


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
        return pm.scaled(
            side,
            side,
            Qt.AspectRatioMode.KeepAspectRatioByExpanding,
            Qt.TransformationMode.SmoothTransformation,
        )
    return placeholder_pixmap(name, side)
