"""Guided capture: pose buckets, spacing and progress; the turn on real landmarks."""

from __future__ import annotations

import pytest

from faceapp.core.guided_capture import (
    FRONT_MAX_TURN,
    MIN_INTERVAL_S,
    SIDE_MIN_TURN,
    GuidedCapture,
    pose_of,
)
from faceapp.core.quality import QualityReport


def report(ok: bool = True, roll: float = 0.0) -> QualityReport:
    problems = () if ok else ("Move closer.",)
    return QualityReport(ok, problems, 120.0, 100.0, 0.0, roll)


def test_pose_buckets_follow_the_sign_and_size_of_the_turn() -> None:
    assert pose_of(0.0) == "front" and pose_of(-FRONT_MAX_TURN) == "front"
    assert pose_of(SIDE_MIN_TURN) == "left" and pose_of(0.3) == "left"
    assert pose_of(-0.3) == "right"
    assert pose_of((FRONT_MAX_TURN + SIDE_MIN_TURN) / 2) is None  # neither
    assert pose_of(0.7) is None  # turned too far: the quality check refuses it anyway


def test_a_guided_capture_asks_for_front_left_right_and_takes_only_those() -> None:
    g = GuidedCapture()
    assert g.progress() == "0 of 5 — now look straight at the camera"
    assert not g.consider(report(ok=False), 0.0, 0.0).taken  # quality first
    assert g.consider(report(), 0.02, 1.0).taken
    assert g.progress() == "1 of 5 — now turn your head slightly to your left"
    # Still frontal: not taken, however long the person waits.
    d = g.consider(report(), 0.05, 5.0)
    assert not d.taken and "left" in d.reason
    # A right turn is accepted too: any missing pose will do; left is asked for next.
    assert g.consider(report(), -0.3, 6.0).taken
    assert g.next_pose() == "left"
    assert not g.enough
    assert g.consider(report(), 0.25, 7.0).taken
    assert g.enough and not g.done
    assert [s.pose for s in g.shots] == ["front", "right", "left"]
    assert g.progress().startswith("3 of 5 — now tilt or turn your head a little differently")


def test_samples_are_spaced_in_time_and_pose() -> None:
    g = GuidedCapture()
    assert g.consider(report(), 0.0, 10.0).taken
    # The same instant's next frame, already turned: too soon.
    soon = g.consider(report(), 0.3, 10.0 + MIN_INTERVAL_S / 2)
    assert not soon.taken and "moment" in soon.reason
    assert g.consider(report(), 0.3, 10.0 + MIN_INTERVAL_S).taken
    assert g.consider(report(), -0.3, 20.0).taken
    # Every bucket covered: a new sample must differ from each one taken.
    assert not g.consider(report(), 0.02, 30.0).taken  # like the first
    assert not g.consider(report(roll=3.0), 0.29, 31.0).taken  # like the second
    assert g.consider(report(roll=9.0), 0.0, 32.0).taken  # frontal but tilted
    assert g.consider(report(), 0.45, 33.0).taken  # further left
    assert g.done and g.progress() == "5 of 5 — done: save the samples"
    assert not g.consider(report(), -0.45, 40.0).taken  # nothing after the target
    g.reset()
    assert g.shots == () and g.next_pose() == "front"


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError):
        GuidedCapture(target=3, minimum=4)
    g = GuidedCapture(target=1, minimum=1)
    assert g.consider(report(), 0.0, 0.0).taken and g.done and g.enough


@pytest.mark.model
def test_real_photos_fall_into_the_pose_buckets_and_a_mirror_swaps_left_and_right(
    pipeline, celebrity_dir
) -> None:
    from faceapp.core.images import load_image
    from faceapp.core.pipeline import largest_face
    from faceapp.core.quality import assess_face, face_turn
    from faceapp.core.sources import letterbox

    photos = sorted((celebrity_dir / "val" / "jerry_seinfeld").glob("*.jpg"))
    g = GuidedCapture(target=3, minimum=3)
    poses = []
    for i, path in enumerate(photos[2:5]):  # frontal, turned one way, turned the other
        frame = letterbox(load_image(path), (640, 480))
        face = largest_face(pipeline.detect(frame))
        turn, _ = face_turn(face)
        mirrored = frame[:, ::-1].copy()
        mirror_turn, _ = face_turn(largest_face(pipeline.detect(mirrored)))
        # MTCNN's landmarks are not exactly mirror-symmetric: about 0.1 of noise.
        assert mirror_turn == pytest.approx(-turn, abs=0.12), path.name
        poses.append(pose_of(turn))
        if abs(turn) >= SIDE_MIN_TURN:
            assert {pose_of(turn), pose_of(mirror_turn)} == {"left", "right"}, path.name
        assert g.consider(assess_face(frame, face), turn, float(i)).taken, path.name
    assert poses == ["front", "left", "right"]
    assert g.done
