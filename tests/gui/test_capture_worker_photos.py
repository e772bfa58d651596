"""CaptureWorker: stepping a folder of photos, and the clear error for any other source."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceapp.core.sources import ImageFolderSource
from faceapp.gui.capture_worker import CaptureWorker

from .gui_helpers import ListSource, grey_frames


def test_stepping_photos_needs_a_folder_of_photos(qtbot):
    with pytest.raises(TypeError, match="folder of photos"):
        CaptureWorker(ListSource(grey_frames(1)), lambda frame: None, photo_interval_s=1.0)


def test_a_folder_is_read_like_a_video_unless_it_is_stepped(qtbot, tmp_path):
    cv2.imwrite(str(tmp_path / "a.png"), np.full((40, 40, 3), 90, np.uint8))
    plain = CaptureWorker(ImageFolderSource(tmp_path), lambda frame: None)
    stepped = CaptureWorker(ImageFolderSource(tmp_path), lambda frame: None, photo_interval_s=0.5)
    assert plain.photo_loop is None
    assert stepped.photo_loop is stepped.loop
