"""The live history tap keeps unknown faces as faces: one embedding per unknown appearance."""

from __future__ import annotations

import numpy as np
import pytest

from faceapp.core.quality import QualityFigures
from faceapp.core.sources import Frame
from faceapp.core.types import Box, Face, FaceResult, FrameResult, Match
from faceapp.session.history_tap import HistoryTap, unknown_face_embedder
from faceapp.session.live import LiveResult


def _face(image: np.ndarray) -> Face:
    h, w = image.shape[:2]
    box = Box(w / 4, h / 4, w / 2, h / 2)
    pts = tuple(
        (box.x + box.w * a, box.y + box.h * b)
        for a, b in ((0.3, 0.4), (0.7, 0.4), (0.5, 0.6), (0.35, 0.8), (0.65, 0.8))
    )
    return Face(box, pts, 0.99)  # type: ignore[arg-type]


class _CountingEmbed:
    """A fake :data:`Embed`: a fixed embedding, the shape of the frame it was given."""

    def __init__(self) -> None:
        self.shapes: list[tuple[int, ...]] = []

    def __call__(self, image: np.ndarray, face: Face) -> tuple[np.ndarray, QualityFigures]:
        self.shapes.append(image.shape)
        e = np.zeros(128, np.float32)
        e[0] = 1.0
        return e, QualityFigures(size_px=face.box.h, sharpness=200.0, yaw_ratio=0.0, roll_deg=0.0)


def _frames(tap: HistoryTap, image: np.ndarray, faces: tuple[FaceResult, ...], n: int) -> None:
    for i in range(n):
        tap(LiveResult(1, Frame(image, i, i / 10), FrameResult(i, i / 10, faces), "recognition"))


def test_an_unknown_face_followed_across_frames_is_embedded_once_from_the_full_frame():
    got: list = []
    embed = _CountingEmbed()
    tap = HistoryTap(got.extend, embed=embed)
    tap.set_source(1, "camera 0", still=False)
    image = np.full((720, 1280, 3), 90, np.uint8)
    unknown = FaceResult(_face(image), Match(None, 1.3, 0.8, False, None), track_id=4)
    _frames(tap, image, (unknown,), 12)
    assert len(got) == 1 and got[0].decision == "unknown"
    assert embed.shapes == [(720, 1280, 3)]  # one call, on the full-resolution frame
    assert got[0].embedding is not None and got[0].embedding[0] == 1.0
    assert got[0].quality is not None and got[0].quality.size_px == image.shape[0] / 2


def test_a_named_face_is_not_embedded_and_a_failing_embedder_keeps_the_event():
    got: list = []
    embed = _CountingEmbed()
    tap = HistoryTap(got.extend, embed=embed)
    tap.set_source(1, "camera 0", still=False)
    image = np.full((240, 320, 3), 90, np.uint8)
    ann = FaceResult(_face(image), Match("Ann", 0.4, 0.8, True, 1), track_id=1)
    _frames(tap, image, (ann,), 3)
    assert len(got) == 1 and got[0].embedding is None and embed.shapes == []

    def broken(image: np.ndarray, face: Face) -> tuple[np.ndarray, QualityFigures]:
        raise RuntimeError("model gone")

    tap = HistoryTap(got.extend, embed=broken)
    tap.set_source(1, "camera 0", still=False)
    unknown = FaceResult(_face(image), Match(None, 1.3, 0.8, False, None), track_id=2)
    _frames(tap, image, (unknown,), 2)
    assert len(got) == 2 and got[1].decision == "unknown" and got[1].embedding is None
    assert got[1].crop is not None  # the event and its crop stay


@pytest.mark.model
def test_the_embedder_gives_the_gallerys_embedding_of_a_real_face(pipeline, celebrity_dir):
    from faceapp.core.images import load_image
    from faceapp.core.quality import assess_face

    photo = sorted((celebrity_dir / "val" / "madonna").iterdir())[0]
    image = load_image(photo)
    face = max(pipeline.detect(image), key=lambda f: f.box.w * f.box.h)
    embedding, figures = unknown_face_embedder(pipeline)(image, face)
    assert np.allclose(embedding, pipeline.embed(image, [face])[0], atol=1e-5)
    assert figures == assess_face(image, face).figures
