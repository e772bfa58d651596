"""Tests for the similarity alignment's template (geometry only: no model, no Qt)."""

from __future__ import annotations

import numpy as np
import pytest

from faceapp.core.embedding.align import TEMPLATE_160, align_face, similarity_matrix
from faceapp.core.types import Box, Face

#: A template that is not a similarity transform of TEMPLATE_160 (eyes closer together).
OTHER_TEMPLATE = np.array([[60.5, 66.0], [100.5, 66.0], [80.5, 91.0], [63.5, 109.8], [97.5, 109.8]])


def _face_at(points: np.ndarray, angle: float, scale: float, shift: tuple[float, float]) -> Face:
    """A face whose landmarks are ``points`` rotated, scaled and shifted into a frame."""
    c, s = np.cos(angle), np.sin(angle)
    moved = scale * points @ np.array([[c, s], [-s, c]]) + np.asarray(shift)
    x0, y0 = moved.min(axis=0)
    x1, y1 = moved.max(axis=0)
    landmarks = tuple((float(x), float(y)) for x, y in moved)
    return Face(Box(x0, y0, x1 - x0, y1 - y0), landmarks, 0.99)  # type: ignore[arg-type]


def _apply(m: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ m[:, :2].T + m[:, 2]


@pytest.mark.parametrize("template", [TEMPLATE_160, OTHER_TEMPLATE])
@pytest.mark.parametrize("size", [160, 112])
def test_landmarks_land_on_the_template_given(template: np.ndarray, size: int) -> None:
    face = _face_at(template, angle=0.3, scale=1.7, shift=(210.0, 95.0))
    m = similarity_matrix(face, size, template)
    np.testing.assert_allclose(
        _apply(m, np.asarray(face.landmarks)), template * size / 160, atol=1e-6
    )


def test_default_template_is_the_apps() -> None:
    face = _face_at(OTHER_TEMPLATE, angle=-0.2, scale=1.3, shift=(120.0, 80.0))
    np.testing.assert_array_equal(
        similarity_matrix(face), similarity_matrix(face, 160, TEMPLATE_160)
    )
    assert not np.allclose(similarity_matrix(face), similarity_matrix(face, 160, OTHER_TEMPLATE))


def test_align_face_uses_the_template() -> None:
    frame = np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    face = _face_at(TEMPLATE_160, angle=0.1, scale=1.5, shift=(200.0, 100.0))
    default = align_face(frame, face)
    np.testing.assert_array_equal(default, align_face(frame, face, 160, "similarity", TEMPLATE_160))
    assert not np.array_equal(default, align_face(frame, face, 160, "similarity", OTHER_TEMPLATE))
