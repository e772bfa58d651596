"""Live mode schedules the detector, follows faces, skips unchanged frames and floors scores."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from faceapp.core.frame_changes import cell_changes, new_changes, thumbnail
from faceapp.core.live import EVERY_FRAME, REGION_CHANGE, LiveSettings, reportable, unoccluded
from faceapp.core.matching import GalleryIndex, l2_normalize
from faceapp.core.pipeline import FacePipeline, MatchSettings
from faceapp.core.tracking import FaceTracker, resemblance
from faceapp.core.types import Box, Face, Match
from tests.core.test_tracking import CountingEmbedder

FPS = 30.0
GALLERY = GalleryIndex.from_samples([(1, "ann", l2_normalize(np.array([1.0, 0.1, 0, 0])))], dim=4)


def face_at(box: Box, score: float) -> Face:
    pts = tuple(
        (box.x + box.w * a, box.y + box.h * b)
        for a, b in ((0.3, 0.4), (0.7, 0.4), (0.5, 0.6), (0.35, 0.8), (0.65, 0.8))
    )
    return Face(box, pts, score)  # type: ignore[arg-type]


class SquareDetector:
    """Finds the bright squares of a dark frame; a square's grey level sets its score.

    Implements the live detector's protocol (``detect`` with ``min_face_size`` and
    ``refine``), counting calls, so that the scheduling follows real image content.
    """

    def __init__(self) -> None:
        self.detect_calls = 0
        self.refine_calls = 0

    def prepare(self) -> None:
        pass

    @staticmethod
    def squares(frame: np.ndarray) -> list[Face]:
        import cv2

        grey = frame[:, :, 0]
        n, labels, stats, _ = cv2.connectedComponentsWithStats((grey > 100).astype(np.uint8))
        faces = []
        for i in range(1, n):
            x, y, w, h, _area = stats[i]
            level = float(grey[labels == i].mean())
            faces.append(face_at(Box(float(x), float(y), float(w), float(h)), level / 255.0))
        return sorted(faces, key=lambda f: -f.score)

    def detect(self, frame: np.ndarray, min_face_size: float | None = None) -> list[Face]:
        self.detect_calls += 1
        return self.squares(frame)

    def refine(self, frame: np.ndarray, boxes: Sequence[Box]) -> list[Face]:
        self.refine_calls += 1
        found = self.squares(frame)
        out = []
        for b in boxes:
            best = max(found, key=lambda f: f.box.iou(b), default=None)
            out.append(best if best is not None and best.box.iou(b) > 0 else face_at(b, 0.1))
        return out


def frame_with(*squares: tuple[float, float, int, int]) -> np.ndarray:
    """A dark 480x640 frame with squares ``(x, y, side, grey level)`` on it."""
    frame = np.full((480, 640, 3), 20, np.uint8)
    for x, y, side, level in squares:
        frame[int(y) : int(y) + side, int(x) : int(x) + side] = level
    return frame


def live_pipeline(
    settings: LiveSettings | None = None,
) -> tuple[FacePipeline, SquareDetector, CountingEmbedder]:
    det, emb = SquareDetector(), CountingEmbedder()
    tracker = FaceTracker(live=settings if settings is not None else LiveSettings())
    return FacePipeline(det, emb, tracker=tracker), det, emb


#: With the fake embedder every face is "ann" at this threshold, and nobody at STRICT.
NAMED, STRICT = MatchSettings(0.5), MatchSettings(0.01)


def run(
    pipe: FacePipeline, frames: list[np.ndarray], start: int = 0, match: MatchSettings = NAMED
) -> list:
    return [
        pipe.process(f, GALLERY, match, start + i, (start + i) / FPS) for i, f in enumerate(frames)
    ]


def test_stable_faces_are_followed_and_the_detector_runs_every_few_frames() -> None:
    frames = [frame_with((100 + i, 120, 80, 250)) for i in range(30)]  # 1 px per frame
    pipe, det, emb = live_pipeline()
    results = run(pipe, frames)
    # One second of video: the detector ran at the start and once to confirm the new
    # face; the background did not change, so nothing new can be there, and the
    # periodic detection waits (up to quiet_detect_interval_s).
    assert 2 <= det.detect_calls <= 3
    # Measured on at most 15 frames a second; in between the box moves by its velocity.
    assert 8 <= det.refine_calls <= 15
    assert all(len(r.faces) == 1 for r in results)  # a result for every frame
    assert len({r.faces[0].track_id for r in results}) == 1
    assert all(abs(r.faces[0].face.box.x - (100 + i)) <= 1 for i, r in enumerate(results))
    assert all(r.faces[0].label == "ann" for r in results)
    assert emb.calls == 1

    every, det_all, _ = live_pipeline(EVERY_FRAME)
    run(every, frames)
    assert det_all.detect_calls == 30 and det_all.refine_calls == 0


def test_the_detector_runs_every_few_frames_when_the_picture_changes_elsewhere() -> None:
    # A slowly changing patch away from the face (a screen, a curtain): not enough to
    # trigger a detection at once, enough that something new could be there.
    frames = [frame_with((100 + i, 120, 80, 250), (450, 300, 60, 30 + 3 * i)) for i in range(30)]
    pipe, det, _ = live_pipeline()
    run(pipe, frames)
    assert 5 <= det.detect_calls <= 8  # every 0.1-0.2 s
    quiet, det_quiet, _ = live_pipeline()
    run(quiet, [frame_with((100 + i % 3, 120, 80, 250)) for i in range(75)])
    assert 3 <= det_quiet.detect_calls <= 5  # 2.5 s of a still background: once a second


def test_a_lost_face_sends_the_frame_to_the_detector_at_once() -> None:
    pipe, det, _ = live_pipeline()
    run(pipe, [frame_with((100 + i, 120, 80, 250)) for i in range(4)])
    before = det.detect_calls
    (gone,) = run(pipe, [frame_with()], start=4)  # the face left (or turned away)
    assert det.detect_calls == before + 1
    assert pipe.tracker is not None and pipe.tracker.live is not None
    assert pipe.tracker.live.counts["detect:lost"] == 1
    assert gone.faces == ()


def test_large_motion_sends_the_frame_to_the_detector_at_once() -> None:
    pipe, det, _ = live_pipeline()
    run(pipe, [frame_with((100 + i, 120, 80, 250)) for i in range(4)])
    before = det.detect_calls
    (moved,) = run(pipe, [frame_with((121, 120, 80, 250))], start=4)  # 18 px in one frame
    assert det.detect_calls == before + 1
    assert pipe.tracker is not None and pipe.tracker.live is not None
    assert pipe.tracker.live.counts["detect:motion"] == 1
    assert moved.faces[0].face.box.x == 121


def test_a_new_face_elsewhere_is_detected_on_the_frame_it_appears() -> None:
    pipe, det, emb = live_pipeline()
    run(pipe, [frame_with((100 + i, 120, 80, 250)) for i in range(4)])
    before = det.detect_calls
    (both,) = run(pipe, [frame_with((104, 120, 80, 250), (400, 200, 80, 250))], start=4)
    assert det.detect_calls == before + 1
    assert len(both.faces) == 2 and both.faces[1].label == "ann"
    assert emb.calls == 2  # the newcomer was embedded (and named) on that frame


def test_an_unchanged_frame_reuses_the_last_result() -> None:
    pipe, det, emb = live_pipeline()
    still = frame_with((100, 120, 80, 250))
    noisy = np.random.default_rng(0).normal(0, 2, still.shape)  # sensor noise: still "still"
    frames = [np.clip(still + noisy * (i % 2), 0, 255).astype(np.uint8) for i in range(75)]
    results = run(pipe, frames)  # 2.5 s: longer than the tracker keeps an unseen track
    assert det.detect_calls == 1 and det.refine_calls == 0 and emb.calls == 1
    assert [r.index for r in results] == list(range(75))
    assert results[-1].timestamp == pytest.approx(74 / FPS)
    assert all(r.faces == results[0].faces for r in results)
    moved = run(pipe, [frame_with((103, 120, 80, 250))], start=75)[0]  # same face, moved
    assert moved.faces[0].track_id == results[0].faces[0].track_id
    assert emb.calls == 2  # still the same track, refreshed once: its embedding was 2.5 s old
    # A new gallery or threshold is applied at once, even to an unchanged frame.
    strict = pipe.process(frames[0], GALLERY, MatchSettings(0.01), 76, 76 / FPS)
    assert strict.faces[0].label == "Unknown"


def test_unknown_faces_under_the_score_floor_or_the_size_are_not_reported() -> None:
    settings = LiveSettings(score_floor=0.95, min_face_px=40)
    frame = frame_with((50, 50, 80, 250), (300, 50, 80, 235), (500, 300, 30, 250))
    # Scores 0.98, 0.92 (a "phantom", or a real face the detector is unsure of) and a
    # 30 px face, none of them enrolled.
    pipe, _, _ = live_pipeline(settings)
    (result,) = run(pipe, [frame], match=STRICT)
    assert [(f.face.box.x, f.label) for f in result.faces] == [(50, "Unknown")]
    legacy = FacePipeline(SquareDetector(), CountingEmbedder(), tracker=FaceTracker(live=None))
    # Without live mode (photos, every-frame video): the same score floor, no size limit.
    shown = run(legacy, [frame], match=STRICT)[0].faces
    assert [(f.face.box.x, f.label) for f in shown] == [(50, "Unknown"), (500, "Unknown")]


def test_a_face_under_the_score_floor_is_shown_when_it_is_someone_enrolled() -> None:
    settings = LiveSettings(score_floor=0.95, min_face_px=40)
    frame = frame_with((50, 50, 80, 250), (300, 50, 80, 235), (500, 300, 30, 250))
    pipe, _, _ = live_pipeline(settings)
    (result,) = run(pipe, [frame], match=NAMED)
    assert [(f.face.box.x, f.label) for f in result.faces] == [(50, "ann"), (300, "ann")]
    # Once recognised it is a face: it stays shown when the name no longer holds.
    (later,) = run(pipe, [frame], start=1, match=STRICT)
    assert [(f.face.box.x, f.label) for f in later.faces] == [(50, "Unknown"), (300, "Unknown")]


def test_a_shown_face_whose_score_dips_stays_shown() -> None:
    settings = LiveSettings(score_floor=0.95, keep_floor=0.8)
    pipe, _, _ = live_pipeline(settings)
    levels = [250, 250, 225, 225, 250]  # 0.98, then 0.88 for two frames, then back
    frames = [frame_with((100 + i, 120, 80, lvl)) for i, lvl in enumerate(levels)]
    results = run(pipe, frames, match=STRICT)
    assert [len(r.faces) for r in results] == [1] * 5
    assert len({r.faces[0].track_id for r in results}) == 1
    fresh, _, _ = live_pipeline(settings)
    assert run(fresh, [frame_with((100, 120, 80, 225))], match=STRICT)[0].faces == ()


def test_reportable_applies_the_floor_the_size_and_the_hysteresis() -> None:
    s = LiveSettings(min_face_px=40, score_floor=0.95, keep_floor=0.8)
    assert reportable(face_at(Box(0, 0, 50, 60), 0.96), s)
    assert not reportable(face_at(Box(0, 0, 50, 60), 0.94), s)
    assert not reportable(face_at(Box(0, 0, 39, 60), 0.99), s)
    assert reportable(face_at(Box(0, 0, 36, 60), 0.85), s, shown=True)
    with pytest.raises(ValueError):
        LiveSettings(score_floor=0.7, keep_floor=0.8)


def test_a_face_that_looks_the_same_is_refreshed_less_often() -> None:
    tr = FaceTracker(refresh_seconds=0.5, live=LiveSettings(max_refresh_s=2.0))
    (t,) = tr.update([face_at(Box(10, 10, 80, 80), 0.99)], 0.0)
    rng = np.random.default_rng(0)
    look = rng.normal(128, 40, size=(16, 16)).astype(np.float32)  # a thumbnail's stand-in
    tr.add_embedding(t, np.ones(4, np.float32), 0.0, look)
    assert tr.embedding_reason(t, 1.0, look) is None  # 1 s old but unchanged
    assert tr.embedding_reason(t, 2.0, look) == "stale"
    slightly = look + rng.normal(0, 36, size=(16, 16)).astype(np.float32)
    assert 0.7 < (resemblance(slightly, look) or 0) < 0.8
    assert tr.embedding_reason(t, 0.6, slightly) == "stale"  # changed a little: usual refresh
    assert tr.embedding_reason(t, 0.6, -look) == "changed"
    # A borderline name keeps the usual refresh rate, however still the face is.
    t.matches = [Match("ann", 1.0, 1.07, True)]
    assert tr.embedding_reason(t, 0.6, look) == "stale"
    t.matches = [Match("ann", 0.6, 1.07, True)]
    assert tr.embedding_reason(t, 0.6, look) is None
    legacy = FaceTracker(refresh_seconds=0.5, live=None)
    (u,) = legacy.update([face_at(Box(10, 10, 80, 80), 0.99)], 0.0)
    legacy.add_embedding(u, np.ones(4, np.float32), 0.0, look)
    assert legacy.embedding_reason(u, 0.6, look) == "stale"


def test_age_based_refreshes_are_spread_over_frames() -> None:
    frames = [
        frame_with((50 + i % 2, 50, 80, 250), (300, 50, 80, 250), (500, 300, 80, 250))
        for i in range(3)
    ]
    tracker = FaceTracker(refresh_seconds=0.5, live=LiveSettings(skip_static=False))
    emb = CountingEmbedder()
    pipe = FacePipeline(SquareDetector(), emb, tracker=tracker)
    pipe.process(frames[0], GALLERY, MatchSettings(0.5), 0, 0.0)
    assert emb.calls == 3
    # Without a look to compare, all three are stale at 0.6 s; one is refreshed per frame.
    for track in tracker.tracks.values():
        track.signature = None
    pipe.process(frames[1], GALLERY, MatchSettings(0.5), 1, 0.6)
    assert emb.calls == 4
    pipe.process(frames[2], GALLERY, MatchSettings(0.5), 2, 0.633)
    assert emb.calls == 5


def test_camera_shake_is_not_a_change_but_a_newcomer_is() -> None:
    import cv2

    rng = np.random.default_rng(1)
    scene = cv2.GaussianBlur(rng.uniform(0, 255, (480, 640)).astype(np.float32), (0, 0), 8)
    scene = cv2.normalize(scene, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    shift = np.array([[1, 0, 4], [0, 1, -3]], np.float32)  # the whole picture, 5 px
    shaken = cv2.warpAffine(scene, shift, (640, 480), borderMode=cv2.BORDER_REFLECT)
    before, after = thumbnail(np.dstack([scene] * 3)), thumbnail(np.dstack([shaken] * 3))
    assert cell_changes(after, before).max() > REGION_CHANGE  # as it is, it looks new
    changes = new_changes(before, after)
    assert changes is not None and changes.max() < REGION_CHANGE
    # Someone in a still picture: their cells change, cells far from them do not.
    visitor = scene.copy()
    visitor[100:200, 300:380] = 255
    changes = new_changes(before, thumbnail(np.dstack([visitor] * 3)))
    assert changes is not None
    assert changes[1:4, 4:6].max() > REGION_CHANGE and changes[5:, :].max() == 0


def test_refine_cuts_the_same_patches_from_the_part_of_the_frame_it_converts() -> None:
    from faceapp.core.detection.fast_mtcnn.boxes import crop_patches
    from faceapp.core.detection.fast_mtcnn.detector import _local_planes

    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
    full = np.ascontiguousarray(image.transpose(2, 0, 1)).reshape(3, -1).astype(np.float32)
    cases = [
        [[100.3, 120.7, 180.3, 200.7, 0], [300.0, 50.5, 360.0, 110.5, 0]],  # inside
        [[-20.0, 400.2, 60.0, 480.2, 0]],  # over the left and bottom edges
        [[600.5, -30.0, 700.5, 70.0, 0]],  # over the right and top edges
        [[700.0, 10.0, 780.0, 90.0, 0]],  # off the frame
    ]
    for boxes in cases:
        square = np.array(boxes, dtype=np.float64)
        planes, width, local = _local_planes(image, square)
        assert planes.shape[1] < full.shape[1] or len(boxes) == 1 and boxes[0][0] >= 640
        expected = crop_patches(full, 640, square, 48)
        got = crop_patches(planes, width, local, 48)
        assert np.abs(got - expected).max() < 0.05


def test_a_face_mostly_behind_a_better_scored_one_is_not_reported() -> None:
    front = face_at(Box(100, 100, 60, 80), 0.999)
    behind = face_at(Box(72, 115, 48, 64), 0.97)  # 42 % of its box under the front face
    beside = face_at(Box(155, 100, 60, 80), 0.98)  # cheek to cheek: 8 % overlap
    assert unoccluded([behind, front, beside]) == [front, beside]
    assert unoccluded([behind, front], fraction=0.5) == [behind, front]
    # Better scored wins, whatever the order or the size.
    assert (
        unoccluded([face_at(Box(100, 100, 60, 80), 0.9), face_at(Box(105, 105, 50, 70), 0.99)])[
            0
        ].score
        == 0.99
    )


def test_a_cut_ends_every_track() -> None:
    pipe, det, emb = live_pipeline()
    run(pipe, [frame_with((100 + i, 120, 80, 250)) for i in range(4)])
    rng = np.random.default_rng(1)
    scene = rng.integers(60, 100, (480, 640, 3), dtype=np.uint8)  # a new, textured scene
    scene[120:200, 104:184] = 250  # a face where the old one was
    (after,) = run(pipe, [scene], start=4)
    assert pipe.tracker is not None and pipe.tracker.live is not None
    assert pipe.tracker.live.counts["detect:cut"] == 1
    assert after.faces[0].track_id != 1 and emb.calls == 2  # a new face: embedded anew


def test_between_measurements_the_boxes_move_with_their_faces() -> None:
    pipe, det, _ = live_pipeline(LiveSettings(follow_interval_s=0.1))
    results = run(pipe, [frame_with((100 + 2 * i, 120, 80, 250)) for i in range(12)])
    assert pipe.tracker is not None and pipe.tracker.live is not None
    assert pipe.tracker.live.counts["predicted"] >= 5
    assert all(abs(r.faces[0].face.box.x - (100 + 2 * i)) <= 1 for i, r in enumerate(results))
    every, det_every, _ = live_pipeline(LiveSettings(follow_interval_s=0.0))
    run(every, [frame_with((100 + 2 * i, 120, 80, 250)) for i in range(12)])
    assert det_every.refine_calls > det.refine_calls
