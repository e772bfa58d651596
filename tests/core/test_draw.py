"""Labels of annotated videos stay inside the picture, whole, wherever the face is."""

from __future__ import annotations

import numpy as np
import pytest

from faceapp.core.draw import LABEL_PAD, annotate, label_position
from faceapp.core.types import Box, Face, FaceResult, FrameResult, Match

W, H = 320, 240
NAME = "Lin-Manuel Miranda"


def result(box: Box, name: str = NAME) -> FrameResult:
    face = Face(box, ((0, 0),) * 5, 0.99)
    return FrameResult(0, 0.0, (FaceResult(face, Match(name, 0.41, 1.07, True, 1), 1),))


def white_columns(img: np.ndarray) -> tuple[int, int]:
    """First and last column holding white text pixels, and their extent."""
    white = (img > 200).all(axis=2)
    cols = np.flatnonzero(white.any(axis=0))
    return int(cols[0]), int(cols[-1])


def text_width(img: np.ndarray) -> int:
    first, last = white_columns(img)
    return last - first + 1


# A box against each edge, each corner, and one larger than the frame.
EDGES = {
    "right": Box(W - 50, 100, 60, 70),
    "left": Box(-10, 100, 60, 70),
    "top": Box(130, -5, 60, 70),
    "bottom": Box(130, H - 60, 60, 70),
    "top-right": Box(W - 40, -10, 60, 70),
    "bottom-left": Box(-20, H - 30, 60, 70),
    "whole frame": Box(-5, -5, W + 10, H + 10),
}


@pytest.mark.parametrize("edge", sorted(EDGES))
def test_label_lies_inside_and_is_not_cut(edge: str) -> None:
    blank = np.full((H, W, 3), 90, np.uint8)
    out = annotate(blank, result(EDGES[edge]))
    # The same label drawn in the middle of a big frame: its full width.
    big = annotate(np.full((H * 3, W * 3, 3), 90, np.uint8), result(Box(W, H, 60, 70)))
    assert text_width(out) == text_width(big), edge
    first, last = white_columns(out)
    assert first >= LABEL_PAD and last <= W - 1 - LABEL_PAD


def test_label_position_prefers_above_then_below_then_inside() -> None:
    assert label_position(Box(100, 100, 50, 50), 80, 20, W, H) == (100, 80)
    assert label_position(Box(100, 5, 50, 50), 80, 20, W, H) == (100, 55)
    assert label_position(Box(100, 5, 50, H), 80, 20, W, H) == (100, 5)
    assert label_position(Box(W - 10, 100, 50, 50), 80, 20, W, H) == (W - 80, 80)
    assert label_position(Box(-30, 100, 50, 50), 80, 20, W, H) == (0, 80)


def test_a_label_wider_than_the_frame_is_drawn_smaller_then_cut() -> None:
    narrow = annotate(np.full((60, 120, 3), 90, np.uint8), result(Box(10, 10, 40, 40)))
    first, last = white_columns(narrow)
    assert first >= LABEL_PAD and last <= 120 - 1 - LABEL_PAD
