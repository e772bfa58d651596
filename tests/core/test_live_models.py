"""Live mode with the real models: following real faces, and the same names as every frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from faceapp.core.detection.fast_mtcnn import FastMtcnnDetector
from faceapp.core.live import EVERY_FRAME
from faceapp.core.matching import GalleryIndex
from faceapp.core.pipeline import FacePipeline, MatchSettings, largest_face
from faceapp.core.tracking import FaceTracker
from faceapp.core.types import Box

from ..conftest import person_photos

pytestmark = pytest.mark.model

cv2 = pytest.importorskip("cv2")


@pytest.fixture(scope="module")
def detector() -> FastMtcnnDetector:
    d = FastMtcnnDetector()
    d.prepare()
    return d


@pytest.fixture(scope="module")
def val(celebrity_dir: Path) -> dict[str, list[Path]]:
    return person_photos(celebrity_dir, "val")


def on_backdrop(photo: Path, height: int, x: float, y: float) -> np.ndarray:
    """The photo scaled to ``height`` px, at ``(x, y)`` on a 640x480 grey-blue backdrop."""
    img = cv2.imread(str(photo))
    img = cv2.resize(img, (round(img.shape[1] * height / img.shape[0]), height))
    frame = np.empty((480, 640, 3), np.uint8)
    frame[:] = (120, 110, 100)
    h, w = img.shape[:2]
    xi, yi = int(x), int(y)
    frame[yi : yi + h, xi : xi + w] = img[: 480 - yi, : 640 - xi]
    return frame


def test_refine_follows_real_faces_and_scores_background_low(detector, val) -> None:
    frame = on_backdrop(val["madonna"][0], 360, 150, 60)
    faces = detector.detect(frame)
    assert faces and faces[0].score > 0.99
    face = faces[0]
    (same,) = detector.refine(frame, [face.box])
    assert same.score > 0.99 and same.box.iou(face.box) > 0.85
    gap = max(np.hypot(a[0] - b[0], a[1] - b[1]) for a, b in zip(same.landmarks, face.landmarks))
    assert gap < 0.05 * face.box.w
    # Where the face was a few frames ago (8 % of its size away): found again.
    b = face.box
    (moved,) = detector.refine(frame, [Box(b.x + 0.08 * b.w, b.y - 0.08 * b.h, b.w, b.h)])
    assert moved.score > 0.99 and moved.box.iou(face.box) > 0.8
    # The plain backdrop, and a box far off the frame, are not faces.
    empty, outside = detector.refine(frame, [Box(10, 380, 80, 80), Box(700, 10, 80, 80)])
    assert empty.score < 0.5 and outside.score < 0.5


def test_the_pyramid_starts_at_the_requested_face_size(detector, val) -> None:
    frame = on_backdrop(val["jerry_seinfeld"][1], 300, 100, 100)
    faces = detector.detect(frame)
    face = largest_face(faces)
    assert face is not None
    side = min(face.box.w, face.box.h)
    at_40 = detector.detect(frame, min_face_size=40)
    assert any(f.box.iou(face.box) > 0.9 for f in at_40)
    assert not any(
        f.box.iou(face.box) > 0.3 for f in detector.detect(frame, min_face_size=3 * side)
    )
    with pytest.raises(ValueError):
        detector.detect(frame, min_face_size=0)


def clip(val: dict[str, list[Path]]) -> list[np.ndarray]:
    """Three people, 1.5 s each at 30 fps: drifting 1 px a frame, then still, with noise."""
    rng = np.random.default_rng(0)
    frames = []
    for person, k in (("madonna", 1), ("ben_afflek", 0), ("mindy_kaling", 2)):
        for t in range(45):
            drift = min(t, 30)
            frame = on_backdrop(val[person][k], 300, 120 + drift, 80 + drift / 3)
            noisy = rng.normal(0.0, 2.0, frame.shape)
            noisy += frame  # in place: the same frames as clip(frame + noise), fewer copies
            frames.append(np.clip(noisy, 0, 255, out=noisy).astype(np.uint8))
    return frames


def labels(pipe: FacePipeline, frames: list[np.ndarray], gallery: GalleryIndex) -> list:
    return [
        pipe.process(f, gallery, MatchSettings(), i, i / 30.0).faces for i, f in enumerate(frames)
    ]


def test_live_mode_names_faces_as_the_every_frame_reference_does(
    pipeline, largest_face_embedding, celebrity_dir, val
) -> None:
    samples = []
    for pid, (name, photos) in enumerate(person_photos(celebrity_dir, "train").items()):
        for p in photos[:3]:
            embedding = largest_face_embedding(p)  # the session's, shared with other files
            assert embedding is not None
            samples.append((pid, name, embedding))
    gallery = GalleryIndex.from_samples(samples)
    frames = clip(val)

    reference = FacePipeline(
        pipeline.detector, pipeline.embedder, tracker=FaceTracker(live=EVERY_FRAME)
    )
    live_tracker = FaceTracker()
    live = FacePipeline(pipeline.detector, pipeline.embedder, tracker=live_tracker)
    expected = labels(reference, frames, gallery)
    got = labels(live, frames, gallery)

    agree = total = wrong = 0
    for ref_faces, live_faces in zip(expected, got, strict=True):
        for r in ref_faces:
            total += 1
            match = max(live_faces, key=lambda f: f.face.box.iou(r.face.box), default=None)
            if match is None or match.face.box.iou(r.face.box) < 0.3:
                continue
            agree += match.label == r.label
            wrong += match.label not in (r.label, "Unknown")
    assert total >= 120  # one face in (nearly) every frame
    named = {f.label for faces in expected for f in faces} - {"Unknown"}
    assert len(named) >= 2  # the comparison is about names, not only "Unknown"
    assert agree >= 0.99 * total and wrong == 0
    assert live_tracker.live is not None
    counts = live_tracker.live.counts
    assert counts["detected"] < len(frames) / 3
    assert counts["followed"] > 0 and counts["reused"] > 0


def test_a_face_resembles_itself_a_few_pixels_off_and_not_someone_else(detector, val) -> None:
    from faceapp.core.tracking import (
        SIGNATURE_STABLE_CORRELATION,
        appearance_signature,
        resemblance,
    )
    from faceapp.core.types import Face

    def moved(face: Face, dx: float, dy: float, k: float = 1.0) -> Face:
        b = face.box
        return Face(Box(b.x + dx, b.y + dy, b.w * k, b.h * k), face.landmarks, face.score)

    people = {}
    for person in ("madonna", "ben_afflek", "mindy_kaling", "jerry_seinfeld"):
        frame = on_backdrop(val[person][0], 200, 200, 120)
        face = largest_face(detector.detect(frame))
        assert face is not None
        people[person] = (frame, face)
    for frame, face in people.values():
        ref = appearance_signature(frame, face)
        side = face.box.w
        # The followed box jitters by up to a tenth of the face and a few % in size.
        for dx, dy, k in ((0.1, 0.0, 1.0), (-0.08, 0.06, 1.0), (0.05, 0.05, 1.04)):
            near = appearance_signature(frame, moved(face, dx * side, dy * side, k))
            assert (resemblance(near, ref) or 0) >= 0.8, (dx, dy, k)
    # Someone else in the same place never looks the same (the old embedding is not kept
    # for long); some such pairs stay above the "changed" line, which is why a cut of the
    # whole picture ends every track (test_live.py).
    names = list(people)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            sa = appearance_signature(*people[a])
            sb = appearance_signature(*people[b])
            assert (resemblance(sa, sb) or 0) < SIGNATURE_STABLE_CORRELATION, (a, b)


def test_one_pass_embeddings_name_as_the_fused_ones_at_half_the_work(pipeline, val) -> None:
    from faceapp.core.embedding import SinglePassEmbedder

    embedder = pipeline.embedder
    assert isinstance(embedder, SinglePassEmbedder)
    crops = []
    for person in ("madonna", "ben_afflek", "mindy_kaling"):
        img = cv2.imread(str(val[person][0]))
        face = largest_face(pipeline.detect(img))
        assert face is not None
        crops.append(pipeline.crops(img, [face])[0])
    batch = np.stack(crops)
    fused, once = embedder.embed(batch), embedder.embed_once(batch)
    same = np.sum(fused * once, axis=1)
    assert np.all(same > 0.97)  # each face: the two embeddings nearly agree
    others = fused @ once.T
    assert np.all(others[~np.eye(3, dtype=bool)] < 0.6)  # and stay far from other people
    calls = []
    raw = embedder.raw
    embedder.raw = lambda x: calls.append(len(x)) or raw(x)  # type: ignore[method-assign]
    try:
        embedder.embed(batch)
        embedder.embed_once(batch)
    finally:
        del embedder.raw
    assert calls == [6, 3]
