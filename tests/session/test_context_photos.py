"""photo_frame: a photo of a folder run read again for its results' face menu."""

from __future__ import annotations

import cv2
import numpy as np

from faceapp.core.sources import ImageFolderSource
from faceapp.session.context_photos import photo_frame
from faceapp.session.window_photos import FolderRows


def _folder(tmp_path):
    for name, grey in (("a.png", 60), ("b.png", 120)):
        cv2.imwrite(str(tmp_path / name), np.full((30, 40, 3), grey, np.uint8))
    source = ImageFolderSource(tmp_path)
    source.open()
    return source, FolderRows(tmp_path, source.photos)


def test_a_photo_is_read_again_with_its_file_name(tmp_path) -> None:
    source, rows = _folder(tmp_path)
    found = photo_frame(source, rows, 1)
    assert found is not None
    frame, file = found
    assert file == "b.png" and frame.index == 1 and int(frame.image[0, 0, 0]) == 120


def test_no_photo_when_none_is_run_out_of_range_or_gone(tmp_path, caplog) -> None:
    source, rows = _folder(tmp_path)
    assert photo_frame(None, rows, 0) is None
    assert photo_frame(source, rows, 5) is None
    (tmp_path / "a.png").write_bytes(b"not an image")
    assert photo_frame(source, rows, 0) is None
    assert "cannot read photo 0 again" in caplog.text
