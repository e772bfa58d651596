"""Drawing boxes and names onto frames with OpenCV, for annotated videos."""

from __future__ import annotations

import numpy as np

from faceapp.core.types import Box, FrameResult

MATCH_BGR = (80, 200, 60)
UNKNOWN_BGR = (60, 60, 230)

#: OpenCV Hershey font scale of the labels, and the smallest it shrinks to when a label
#: is wider than the frame.
LABEL_SCALE = 0.55
MIN_LABEL_SCALE = 0.35
#: Pixels of label background around the text.
LABEL_PAD = 3


def label_position(
    box: Box, label_w: int, label_h: int, frame_w: int, frame_h: int
) -> tuple[int, int]:
    """Return the top-left corner of a face's label so that it lies inside the frame.

    The label sits above the face box, left-aligned with it, when there is room; below
    the box when there is none above; inside the box's top otherwise.  It is then moved
    left, right, up or down as little as needed to lie wholly inside the frame (a label
    larger than the frame starts at its left or top edge).  The same rule serves any
    overlay that draws labels in image pixels.

    Parameters
    ----------
    box : Box
        The face box in frame pixels (it may reach beyond the frame).
    label_w, label_h : int
        Size of the label, background included, in pixels.
    frame_w, frame_h : int
        Size of the frame in pixels.

    Returns
    -------
    (int, int)
        ``(x, y)`` of the label's top-left corner; x grows right, y down.
    """
    x, y, w, h = box.as_ints()
    if y - label_h >= 0:
        top = y - label_h
    elif y + h + label_h <= frame_h:
        top = y + h
    else:
        top = y
    left = min(max(x, 0), max(frame_w - label_w, 0))
    top = min(max(top, 0), max(frame_h - label_h, 0))
    return left, top


def _fitted(text: str, max_w: int) -> tuple[str, float, int, int, int]:
    """Return the label text and font scale that fit ``max_w`` pixels, with its size.

    The font shrinks down to :data:`MIN_LABEL_SCALE`; beyond that the text is cut and
    ends in "..".
    """
    import cv2

    scale = LABEL_SCALE
    while True:
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        if tw + 2 * LABEL_PAD <= max_w:
            return text, scale, tw, th, base
        if scale > MIN_LABEL_SCALE + 1e-9:
            scale = max(MIN_LABEL_SCALE, scale - 0.05)
        elif len(text) > 3:
            text = text[:-3].rstrip() + ".."
        else:
            return text, scale, tw, th, base


def annotate(frame: np.ndarray, result: FrameResult) -> np.ndarray:
    """Return a copy of a BGR frame with a box, name and distance per face.

    Each label lies wholly inside the frame (see :func:`label_position`); a label wider
    than the frame is drawn smaller, and cut only when even that is too wide.
    """
    import cv2

    out = frame.copy()
    frame_h, frame_w = out.shape[:2]
    for fr in result.faces:
        x, y, w, h = fr.face.box.as_ints()
        colour = MATCH_BGR if fr.known else UNKNOWN_BGR
        cv2.rectangle(out, (x, y), (x + w, y + h), colour, 2)
        text = fr.label
        if fr.match is not None and np.isfinite(fr.match.distance):
            text += f" {fr.match.distance:.2f}"
        text, scale, tw, th, base = _fitted(text, frame_w)
        label_w, label_h = tw + 2 * LABEL_PAD, th + base + 2 * LABEL_PAD
        left, top = label_position(fr.face.box, label_w, label_h, frame_w, frame_h)
        cv2.rectangle(out, (left, top), (left + label_w - 1, top + label_h - 1), colour, -1)
        cv2.putText(
            out,
            text,
            (left + LABEL_PAD, top + LABEL_PAD + th),
            cv2.FONT_HERSHEY_SIMPLEX,
            scale,
            (255, 255, 255),
            1,
            cv2.LINE_AA,
        )
    return out
