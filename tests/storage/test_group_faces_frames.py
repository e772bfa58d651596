"""Unknown faces seen in one photo or frame are never grouped as one person."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np

from faceapp.storage.history import UnknownFace, group_faces


def _face(event_id: int, y: float, at: datetime, source: str, position: float | None):
    e = np.array([1.0, y, 0.0], np.float32)
    return UnknownFace(event_id, at, source, position, e / np.linalg.norm(e))


def test_two_faces_of_one_photo_land_in_two_groups() -> None:
    t0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
    t1 = t0 + timedelta(seconds=5)
    faces = [
        _face(1, 0.00, t0, "party/001.jpg", None),  # both in photo 001, close together
        _face(2, 0.02, t0, "party/001.jpg", None),
        _face(3, 0.01, t1, "party/002.jpg", None),  # another photo: free to join
    ]
    groups = group_faces(faces)
    assert sorted(len(g.faces) for g in groups) == [1, 2]
    together = next(g for g in groups if g.count == 2)
    assert {f.event_id for f in together.faces} != {1, 2}
    # the same faces in two different photos (or video frames) may form one group
    apart = [_face(1, 0.00, t0, "a.jpg", None), _face(2, 0.02, t1, "a.jpg", None)]
    assert [g.count for g in group_faces(apart)] == [2]
    clip = [_face(1, 0.00, t0, "clip.mp4", 1.0), _face(2, 0.02, t0, "clip.mp4", 1.5)]
    assert [g.count for g in group_faces(clip)] == [2]
