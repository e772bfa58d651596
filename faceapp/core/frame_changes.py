"""What changed between two frames: grey thumbnails compared cell by cell, camera shake undone."""

from __future__ import annotations

import math

import numpy as np

#: Side, in frame pixels, of a thumbnail cell (the thumbnail is the frame shrunk by this).
CELL_PX = 8

#: Largest thumbnail side, in cells of the thumbnail; bigger frames are shrunk more.
_MAX_THUMB_SIDE = 160


def thumbnail(frame: np.ndarray) -> np.ndarray:
    """Return the frame in grey, shrunk by :data:`CELL_PX` (float32): cheap to compare."""
    import cv2

    h, w = frame.shape[:2]
    k = min(1.0 / CELL_PX, _MAX_THUMB_SIDE / max(h, w))
    size = (max(1, round(w * k)), max(1, round(h * k)))
    grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    return cv2.resize(grey, size, interpolation=cv2.INTER_AREA).astype(np.float32)


def cell_changes(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """Return the mean absolute difference of two thumbnails per 8x8 cell of thumbnail pixels.

    Returns None when the thumbnails differ in shape (the frame size changed).
    """
    import cv2

    if a.shape != b.shape:
        return None
    diff = np.abs(a - b)
    h, w = diff.shape
    grid = (max(1, math.ceil(w / CELL_PX)), max(1, math.ceil(h / CELL_PX)))
    return np.asarray(cv2.resize(diff, grid, interpolation=cv2.INTER_AREA))


def steadied(previous: np.ndarray, current: np.ndarray) -> np.ndarray:
    """Return ``previous`` shifted by the global motion between it and ``current``.

    A shaking camera moves the whole picture; compared after this shift, only what moved
    on its own (someone walking in) still differs.  The shift is found by phase
    correlation of the thumbnails; an unsure one (a cut) or one over 4 thumbnail pixels
    leaves ``previous`` as it is.
    """
    import cv2

    if previous.shape != current.shape or min(previous.shape) < 8:
        return previous
    (dx, dy), response = cv2.phaseCorrelate(previous, current)
    if response < 0.2 or max(abs(dx), abs(dy)) > 4.0 or max(abs(dx), abs(dy)) < 0.05:
        return previous
    h, w = previous.shape
    m = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]], np.float32)
    return np.asarray(cv2.warpAffine(previous, m, (w, h), borderMode=cv2.BORDER_REPLICATE))


def new_changes(
    previous: np.ndarray, current: np.ndarray, raw: np.ndarray | None = None
) -> np.ndarray | None:
    """Return per-cell changes that are there both as they are and with the camera steadied.

    A shaking camera changes every textured cell, which :func:`steadied` undoes; but when
    only people move, steadying the picture by their motion shifts the still background.
    A cell counts as changed only when it changed both ways.  ``raw`` is
    ``cell_changes(current, previous)`` when the caller has it already.
    """
    if raw is None:
        raw = cell_changes(current, previous)
    if raw is None:
        return None
    steady = cell_changes(current, steadied(previous, current))
    return raw if steady is None else np.minimum(raw, steady)
