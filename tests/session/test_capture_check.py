"""The faces of a photo added with Add photos…, without Qt (session/capture_check.py)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from faceapp.core.errors import ImageError
from faceapp.core.types import Box, Face
from faceapp.session.capture_check import faces_in_photo

FACE = Face(Box(10, 10, 40, 40), ((20, 20), (40, 20), (30, 30), (22, 40), (38, 40)), 0.99)


class _Detector:
    """Finds one face in any picture; records the pictures it was given."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, ...]] = []

    def detect(self, image: np.ndarray) -> list[Face]:
        self.seen.append(image.shape)
        return [FACE]


def test_a_photo_is_read_and_its_faces_found(tmp_path: Path) -> None:
    path = tmp_path / "two.png"
    cv2.imwrite(str(path), np.full((60, 80, 3), 128, np.uint8))
    detector = _Detector()
    image, faces = faces_in_photo(detector, path)  # type: ignore[arg-type]
    assert image.shape == (60, 80, 3) and faces == [FACE] and detector.seen == [(60, 80, 3)]


def test_an_unreadable_photo_says_so(tmp_path: Path) -> None:
    path = tmp_path / "broken.jpg"
    path.write_bytes(b"not a picture")
    with pytest.raises(ImageError):
        faces_in_photo(_Detector(), path)  # type: ignore[arg-type]


def test_captured_faces_become_items_with_their_quality_figures():
    from faceapp.core.quality import QualityReport
    from faceapp.session.capture_check import capture_items, checked_samples

    frame = np.zeros((100, 100, 3), np.uint8)
    face = FACE
    report = QualityReport(True, (), 120.0, 100.0, 0.0)
    items = capture_items("Ann", [(frame, face, report), (frame, face, None)])
    assert [(i.name, i.source, i.face) for i in items] == [("Ann", "capture", face)] * 2
    assert items[0].quality == report.figures
    assert items[1].quality is None
    # Reports with no sample (or no report at all): the recognition thread makes them.
    assert checked_samples([report, None]) is None
