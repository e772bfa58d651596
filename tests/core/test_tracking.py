"""The tracker keeps ids across frames, asks for embeddings only when needed, and votes labels."""

from __future__ import annotations

import numpy as np

from faceapp.core.matching import GalleryIndex, l2_normalize
from faceapp.core.pipeline import FacePipeline, MatchSettings
from faceapp.core.tracking import FaceTracker, vote
from faceapp.core.types import Box, Face, Match


def face(x: float, y: float, size: float = 80) -> Face:
    pts = tuple(
        (x + size * a, y + size * b)
        for a, b in ((0.3, 0.4), (0.7, 0.4), (0.5, 0.6), (0.35, 0.8), (0.65, 0.8))
    )
    return Face(Box(x, y, size, size), pts, 0.99)  # type: ignore[arg-type]


def test_ids_follow_moving_faces_and_new_faces_get_new_ids() -> None:
    tr = FaceTracker()
    a, b = tr.update([face(10, 10), face(300, 50)], 0.0)
    a2, b2 = tr.update([face(305, 52), face(14, 12)], 0.04)  # order swapped, both moved
    assert (a2.id, b2.id) == (b.id, a.id)
    (c,) = tr.update([face(500, 300)], 0.08)
    assert c.id not in (a.id, b.id)


def test_tracks_expire_after_max_age() -> None:
    tr = FaceTracker(max_age_seconds=1.0)
    (a,) = tr.update([face(10, 10)], 0.0)
    (b,) = tr.update([face(10, 10)], 2.0)
    assert a.id != b.id


def test_embedding_requested_for_new_and_stale_tracks_only() -> None:
    tr = FaceTracker(refresh_seconds=0.5)
    (t,) = tr.update([face(10, 10)], 0.0)
    assert tr.needs_embedding(t, 0.0)
    tr.add_embedding(t, np.ones(4, np.float32), 0.0)
    (t,) = tr.update([face(11, 10)], 0.2)
    assert not tr.needs_embedding(t, 0.2)
    (t,) = tr.update([face(12, 10)], 0.6)
    assert tr.needs_embedding(t, 0.6)


def test_a_different_person_in_the_same_place_starts_a_new_track() -> None:
    tr = FaceTracker(refresh_seconds=0.5)
    (t,) = tr.update([face(10, 10)], 0.0)
    tr.add_embedding(t, np.array([1.0, 0, 0, 0], np.float32), 0.0)
    first = t.id
    (t,) = tr.update([face(10, 10)], 0.6)
    tr.add_embedding(t, l2_normalize(np.array([1.0, 0.2, 0, 0])), 0.6)  # same person
    assert t.id == first and len(t.embeddings) == 2
    (t,) = tr.update([face(10, 10)], 1.2)
    tr.add_embedding(t, np.array([0, 1.0, 0, 0], np.float32), 1.2)  # 1.41 away: someone else
    assert t.id != first and len(t.embeddings) == 1 and set(tr.tracks) == {t.id}


def look(seed: int) -> np.ndarray:
    """A random stand-in for an appearance signature (a 16x16 grey thumbnail)."""
    return np.random.default_rng(seed).normal(128, 30, size=(16, 16)).astype(np.float32)


def test_a_face_moving_steadily_is_followed_where_its_motion_puts_it() -> None:
    tr = FaceTracker()
    (a,) = tr.update([face(100, 100)], 0.0)
    (b,) = tr.update([face(130, 100)], 0.1)  # 30 px in 0.1 s: IoU 0.45
    assert b.id == a.id
    (c,) = tr.update([face(220, 100)], 0.4)  # 90 px further: no overlap with the last box
    assert c.id == a.id


def test_a_face_that_jumped_continues_its_track_only_when_it_looks_the_same() -> None:
    # Frames skipped while a photo slides in: the face is 160 px further on the next one.
    tr = FaceTracker()
    (a,) = tr.update([face(400, 100)], 0.0, [look(1)])
    tr.add_embedding(a, np.ones(4, np.float32) / 2, 0.0, look(1))
    (b,) = tr.update([face(240, 100)], 0.13, [look(1) * 0.98 + look(2) * 0.02])
    assert b.id == a.id and len(b.embeddings) == 1  # no new embedding needed
    (c,) = tr.update([face(240, 300)], 0.26, [look(3)])  # someone else, nearby
    assert c.id != a.id
    assert tr.update([face(240, 300)], 0.3)[0].id == c.id
    assert tr.update([face(400, 100)], 0.35)[0].id not in (a.id, c.id)  # no looks: no jump


def test_a_jump_needs_a_similar_size_a_short_distance_and_a_recent_sighting() -> None:
    for later, size, t in (((400, 100), 160, 0.1), ((600, 300), 80, 0.1), ((300, 100), 80, 0.9)):
        tr = FaceTracker()
        (a,) = tr.update([face(100, 100)], 0.0, [look(1)])
        tr.add_embedding(a, np.ones(4, np.float32) / 2, 0.0, look(1))
        tr.update([], t / 2)
        (b,) = tr.update([face(*later, size=size)], t, [look(1)])
        assert b.id != a.id, (later, size, t)


def m(name: str | None, d: float, thr: float = 1.0) -> Match:
    return Match(name, d, thr, name is not None and d <= thr)


def test_vote_majority_wins_and_a_single_outlier_does_not_flicker() -> None:
    result = vote([m("ann", 0.5), m("ann", 0.6), m(None, 1.3), m("ann", 0.7)])
    assert result.name == "ann" and result.accepted and result.distance == 0.6
    assert vote([m("ann", 0.5), m(None, 1.2), m(None, 1.4)]).accepted is False


def test_vote_tie_goes_to_the_most_recent() -> None:
    assert vote([m("ann", 0.5), m("bob", 0.6)]).name == "bob"


class CountingEmbedder:
    """A fake embedder: a fixed unit vector per crop, counting how many crops it embeds."""

    input_size = 160
    dim = 4

    def __init__(self) -> None:
        self.calls = 0

    def prepare(self) -> None:
        pass

    def embed(self, crops: np.ndarray) -> np.ndarray:
        self.calls += len(crops)
        return l2_normalize(np.tile([1.0, 0.0, 0.0, 0.0], (len(crops), 1)))


class FixedDetector:
    def prepare(self) -> None:
        pass

    def detect(self, frame: np.ndarray) -> list[Face]:
        return [face(100, 100)]


def test_pipeline_embeds_per_track_not_per_frame_and_follows_threshold() -> None:
    emb = CountingEmbedder()
    # Without live mode: every frame is processed (live mode would reuse these identical
    # frames, see test_live.py), so this checks the embedding rule alone.
    pipe = FacePipeline(FixedDetector(), emb, tracker=FaceTracker(refresh_seconds=0.5, live=None))
    gallery = GalleryIndex.from_samples(
        [(1, "ann", l2_normalize(np.array([1.0, 0.1, 0, 0])))], dim=4
    )
    frame = np.zeros((480, 640, 3), np.uint8)
    results = [pipe.process(frame, gallery, MatchSettings(0.5), i, i / 25) for i in range(25)]
    assert emb.calls == 2  # t=0 and t=0.52 only, over one second of video
    assert all(r.faces[0].label == "ann" for r in results)
    assert len({r.faces[0].track_id for r in results}) == 1
    strict = pipe.process(frame, gallery, MatchSettings(0.01), 25, 1.0)
    assert strict.faces[0].label == "Unknown"  # a new threshold applies at once


class BrightnessEmbedder(CountingEmbedder):
    """A fake embedder that tells dark faces from bright ones."""

    def embed(self, crops: np.ndarray) -> np.ndarray:
        self.calls += len(crops)
        rows = [[1.0, 0, 0, 0] if c.mean() < 128 else [0, 1.0, 0, 0] for c in crops]
        return np.array(rows, np.float32)


def test_a_cut_is_re_embedded_at_once_not_at_the_next_refresh() -> None:
    rng = np.random.default_rng(0)
    dark = rng.integers(0, 100, (480, 640, 3), dtype=np.uint8)
    bright = rng.integers(156, 256, (480, 640, 3), dtype=np.uint8)
    emb = BrightnessEmbedder()
    pipe = FacePipeline(FixedDetector(), emb, tracker=FaceTracker(refresh_seconds=10.0))
    gallery = GalleryIndex.from_samples(
        [
            (1, "dark", np.array([1.0, 0, 0, 0], np.float32)),
            (2, "bright", np.array([0, 1.0, 0, 0], np.float32)),
        ],
        dim=4,
    )
    labels = [
        pipe.process(dark if i < 7 else bright, gallery, MatchSettings(0.5), i, i / 25)
        .faces[0]
        .label
        for i in range(12)
    ]
    assert labels == ["dark"] * 7 + ["bright"] * 5
    assert emb.calls == 2  # once at the start, once at the cut; none in between
