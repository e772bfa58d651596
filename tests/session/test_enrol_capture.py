"""The capture dialog's state without Qt: the frame offered, its check, the guided samples."""

from __future__ import annotations

import numpy as np

from faceapp.core.guided_capture import GuidedCapture
from faceapp.core.quality import QualityReport
from faceapp.core.sources import Frame
from faceapp.core.types import Box, Face, FaceResult, FrameResult
from faceapp.session.enrol_capture import CaptureOffer, GuidedShots

GOOD = QualityReport(True, (), 120.0, 100.0, 0.0)
BAD = QualityReport(False, ("Come closer.",), 30.0, 100.0, 0.0)


def _face(x: float, side: float) -> Face:
    """Return a frontal face of ``side`` pixels at ``x`` (eyes level, nose centred)."""
    s = side
    marks = (
        (x + 0.3 * s, 0.4 * s),
        (x + 0.7 * s, 0.4 * s),
        (x + 0.5 * s, 0.6 * s),
        (x + 0.35 * s, 0.8 * s),
        (x + 0.65 * s, 0.8 * s),
    )
    return Face(Box(x, 0.0, s, s), marks, 0.99)


def _snapshot(*faces: Face) -> tuple[Frame, FrameResult]:
    image = np.zeros((200, 400, 3), np.uint8)
    return Frame(image, 0, 0.0), FrameResult(0, 0.0, tuple(FaceResult(f) for f in faces))


def test_the_largest_face_is_offered_and_checked_once() -> None:
    small, large = _face(0.0, 60.0), _face(150.0, 120.0)
    offer = CaptureOffer()
    assert offer.take(None) is None and offer.n_faces is None and not offer.checking
    snap = _snapshot(small, large)
    assert offer.take(snap) is large and offer.n_faces == 2
    offer.checking_as(7)
    assert offer.checking and offer.request("Ann") is None
    assert not offer.checked(6, GOOD)  # an older check: stale
    assert offer.checking
    assert offer.checked(7, GOOD)
    assert not offer.checking and offer.face_ok
    assert offer.boxes() == [(small.box, "other"), (large.box, "ok")]
    assert offer.request("Ann") == ("Ann", snap[0].image, large, GOOD)
    assert offer.request(None) is None  # no usable name


def test_a_failed_or_bad_check_offers_nothing_to_enrol() -> None:
    offer = CaptureOffer()
    offer.take(_snapshot(_face(0.0, 100.0)))
    offer.checking_as(1)
    assert offer.checked(1, BAD)
    assert offer.boxes()[0][1] == "offered" and offer.request("Ann") is None
    offer.take(_snapshot(_face(0.0, 100.0)))
    offer.checking_as(2)
    assert offer.checked(2, None) and offer.request("Ann") is None


def test_a_retake_makes_the_pending_report_stale_and_only_new_frames_count() -> None:
    offer = CaptureOffer()
    snap = _snapshot(_face(0.0, 100.0))
    offer.take(snap)
    offer.checking_as(3)
    assert not offer.is_newer(snap) and not offer.is_newer(None)
    assert offer.is_newer(_snapshot(_face(0.0, 100.0)))
    offer.take(None)
    assert not offer.checked(3, GOOD) and offer.report is None


def test_guided_shots_take_samples_say_why_not_and_start_over() -> None:
    now = [0.0]
    shots = GuidedShots(lambda: now[0], GuidedCapture(target=1, minimum=1))
    image, face = np.zeros((200, 200, 3), np.uint8), _face(0.0, 100.0)
    refused = shots.offer(image, face, BAD)
    assert not refused.taken and shots.hint(refused) == "Fix the checklist first."
    assert shots.shots == []
    taken = shots.offer(image, face, GOOD)
    assert taken.taken and shots.shots == [(image, face, GOOD)]
    assert shots.hint(taken) == "All samples taken."
    shots.shots.clear()  # a copy
    assert len(shots.shots) == 1
    shots.reset()
    assert shots.shots == [] and not shots.capture.done


def test_a_sample_taken_before_the_target_says_taken() -> None:
    shots = GuidedShots(lambda: 0.0)
    decision = shots.offer(np.zeros((200, 200, 3), np.uint8), _face(0.0, 100.0), GOOD)
    assert decision.taken and shots.hint(decision) == "Taken."
