"""Drawing boxes and names onto frames with OpenCV, for annotated videos."""

from __future__ import annotations

import numpy as np

from faceapp.core.types import FrameResult

MATCH_BGR = (80, 200, 60)
UNKNOWN_BGR = (60, 60, 230)


def annotate(frame: np.ndarray, result: FrameResult) -> np.ndarray:
    """Return a copy of a BGR frame with a box, name and distance per face."""
    import cv2

    out = frame.copy()
    for fr in result.faces:
        x, y, w, h = fr.face.box.as_ints()
        colour = MATCH_BGR if fr.known else UNKNOWN_BGR
        cv2.rectangle(out, (x, y), (x + w, y + h), colour, 2)
        text = fr.label
        if fr.match is not None and np.isfinite(fr.match.distance):
            text += f" {fr.match.distance:.2f}"
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.55, 1)
        top = max(y - th - base - 4, 0)
        cv2.rectangle(out, (x, top), (x + tw + 6, top + th + base + 4), colour, -1)
        cv2.putText(
            out,
            text,
            (x + 3, top + th + 2),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.55,
            (255, 255, 255),
            1,
            cv2.LINE_AA,
        )
    return out
