"""Enrolment quality check on synthetic faces and on the real 5-celebrity photos."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from faceapp import paths
from faceapp.core import quality
from faceapp.core.quality import assess_face, face_pose, face_sharpness, face_size_px
from faceapp.core.types import Box, Face


def _face(box=(100, 100, 120, 150), eyes=((140, 160), (180, 160)), nose=(160, 185)):
    x, y, w, h = box
    mouth = ((145, 215), (175, 215))
    return Face(Box(x, y, w, h), (eyes[0], eyes[1], nose, mouth[0], mouth[1]), 0.99)


def _texture(h=480, w=640, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_frontal_pose_is_symmetric():
    yaw, roll = face_pose(_face())
    assert yaw == pytest.approx(0.0)
    assert roll == pytest.approx(0.0)


def test_nose_at_an_eye_is_a_profile():
    yaw, _ = face_pose(_face(nose=(178, 185)))
    assert yaw > quality.MAX_YAW_RATIO
    report = assess_face(_texture(), _face(nose=(178, 185)))
    assert not report.ok
    assert any("Look straight" in p for p in report.problems)


def test_pose_ignores_in_plane_rotation():
    angle = math.radians(20)
    c, s = math.cos(angle), math.sin(angle)

    def rot(p):
        x, y = p[0] - 160, p[1] - 160
        return (160 + c * x - s * y, 160 + s * x + c * y)

    f = _face()
    rotated = Face(f.box, tuple(rot(p) for p in f.landmarks), f.score)
    yaw, roll = face_pose(rotated)
    assert yaw == pytest.approx(0.0, abs=1e-6)
    assert roll == pytest.approx(20.0, abs=1e-6)


def test_small_face_asks_to_move_closer():
    face = _face(box=(100, 100, 50, 60))
    report = assess_face(_texture(), face)
    assert report.size_px == 50
    assert not report.ok
    assert report.problems[0].startswith("Move closer")


def test_flat_crop_has_no_sharpness_and_texture_has_plenty():
    flat = np.full((480, 640, 3), 128, np.uint8)
    assert face_sharpness(flat, _face()) == 0.0
    assert face_sharpness(_texture(), _face()) > 1000


def test_box_outside_the_frame_measures_zero():
    assert face_sharpness(_texture(), _face(box=(700, 500, 100, 100))) == 0.0


def test_good_synthetic_face_passes():
    report = assess_face(_texture(), _face())
    assert report.ok, report.problems
    assert report.problems == ()


# -- real photos, real detector -----------------------------------------------------------


def _val_photos() -> list[Path]:
    return sorted((paths.celebrity_dir() / "val").glob("*/*.jpg"))


needs_photos = pytest.mark.skipif(
    not _val_photos(), reason="the 5-celebrity photos are absent (run 'faceapp weights fetch')"
)


@pytest.fixture(scope="module")
def detector():
    from faceapp.core.detection import create_detector

    det = create_detector()
    try:
        det.prepare()
    except Exception as exc:  # missing weights or TensorFlow
        pytest.skip(f"the face detector cannot be loaded: {exc}")
    return det


@pytest.fixture(scope="module")
def demo_faces(detector):
    """Each val photo letterboxed to 640x480 (as the demo shows it) with its main face."""
    from faceapp.core.images import load_image
    from faceapp.core.pipeline import central_face
    from faceapp.core.sources import letterbox

    out = []
    for path in _val_photos():
        frame = letterbox(load_image(path), (640, 480))
        face = central_face(detector.detect(frame), 640, 480)
        assert face is not None, f"no face found in {path.name}"
        out.append((path, frame, face))
    return out


@pytest.mark.model
@needs_photos
def test_real_photos_are_sharp_enough(demo_faces):
    big = [(p, fr, f) for p, fr, f in demo_faces if face_size_px(f) >= quality.MIN_FACE_PX]
    assert len(big) >= 20
    for path, frame, face in big:
        report = assess_face(frame, face)
        assert report.sharpness >= quality.MIN_SHARPNESS, path.name


@pytest.mark.model
@needs_photos
def test_most_real_photos_pass_whole(demo_faces):
    passed = [assess_face(fr, f).ok for _, fr, f in demo_faces]
    assert sum(passed) >= 0.75 * len(passed)


@pytest.mark.model
@needs_photos
def test_heavily_blurred_copies_fail(demo_faces):
    import cv2

    for path, frame, face in demo_faces:
        sigma = max(1.0, 0.04 * face.box.w)
        blurred = cv2.GaussianBlur(frame, (0, 0), sigma)
        report = assess_face(blurred, face)
        assert not report.ok, path.name
        assert any("blurred" in p for p in report.problems), path.name


@pytest.mark.model
@needs_photos
def test_rotated_photo_keeps_frontal_and_reports_tilt(detector, demo_faces):
    import cv2

    from faceapp.core.pipeline import largest_face

    # A frontal, sharp, large face: rotate the whole frame about the face centre.
    candidates = [(fr, f) for _, fr, f in demo_faces if assess_face(fr, f).ok]
    candidates = [c for c in candidates if abs(face_pose(c[1])[1]) < 5.0]
    frame, face = max(candidates, key=lambda c: c[1].box.area)
    base_roll = face_pose(face)[1]
    cx, cy = face.box.center
    for angle, tilted in ((12.0, False), (40.0, True)):
        m = cv2.getRotationMatrix2D((cx, cy), angle, 1.0)
        rotated = cv2.warpAffine(frame, m, (640, 480), borderMode=cv2.BORDER_REPLICATE)
        found = largest_face(detector.detect(rotated))
        assert found is not None, f"no face after rotating by {angle} degrees"
        report = assess_face(rotated, found)
        assert report.yaw_ratio <= quality.MAX_YAW_RATIO
        # MTCNN's eye points drift at strong tilts: only the small angle is measured closely.
        tolerance = 6.0 if not tilted else 15.0
        assert abs(report.roll_deg - base_roll) == pytest.approx(angle, abs=tolerance)
        assert any("upright" in p for p in report.problems) == tilted
