"""The window's picture helpers: JPEG bytes to QImage or QPixmap, and the initials badge."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap

from faceapp.storage.people import initials

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
        return fitted(pm, side, fill=True)
    return placeholder_pixmap(name, side)


def icon_of(image: QImage) -> QIcon:
    """Return an icon of a decoded picture (GUI thread only)."""
    return QIcon(QPixmap.fromImage(image))
