"""A lone face's label, the face a click was about and who a face may be, without Qt."""

from __future__ import annotations

import numpy as np

from faceapp.core.types import Box, Face, FaceResult, Match
from faceapp.session.face_labels import (
    box_in_view,
    correction_job,
    correction_of,
    face_label,
    face_menu,
    face_under,
    fitted_rect,
    model_notice,
    near_name,
    same_face,
    shown_alone,
)
from faceapp.session.live import ModelState
from faceapp.session.verdict import MAYBE, NO_MATCH


def _fr(x: float = 0.0, name: str | None = "Ann", dist: float = 0.5) -> FaceResult:
    lm = ((x + 30, 40), (x + 70, 40), (x + 50, 60), (x + 35, 80), (x + 65, 80))
    face = Face(Box(x, 0, 100, 100), lm, 0.99)
    return FaceResult(face, Match(name, dist, 1.1, name is not None and dist <= 1.1))


def test_a_lone_face_is_labelled_with_its_name_and_distance() -> None:
    assert face_label(_fr(), "recognition") == ("Ann  0.50", True)
    assert face_label(_fr(name=None, dist=1.3), "recognition") == ("Unknown  1.30", False)
    assert shown_alone(_fr(name=None, dist=1.3), "recognition").kind == NO_MATCH


def test_the_clicked_face_is_the_one_overlapping_its_box_most() -> None:
    left, right = _fr(0.0), _fr(300.0, "Bob")
    assert same_face((left, right), Box(290, 5, 100, 100)) is right
    assert same_face((left, right), Box(10, 0, 100, 100)) is left
    assert same_face((left, right), Box(150, 0, 100, 100)) is None  # IoU 0 with both
    assert same_face((), Box(0, 0, 10, 10)) is None


def test_who_a_face_is_or_may_be() -> None:
    assert near_name(_fr()) == "Ann"
    assert near_name(_fr(name=None)) is None
    maybe = FaceResult(_fr().face, Match("Ann", 0.95, 0.9, False, maybe=True))
    assert shown_alone(maybe, "recognition").kind == MAYBE
    assert near_name(maybe) == "Ann"


def test_the_face_menu_offers_name_add_and_not_x() -> None:
    named = FaceResult(_fr().face, Match("Ann", 0.5, 1.1, True, person_id=7))
    entries = face_menu(named, ["Ann", "Bob"], can_correct=True)
    assert [(e.text, e.action, e.value, e.submenu) for e in entries] == [
        ("Name this face…", "name", None, ""),
        ("Add to Ann…", "add", "Ann", ""),
        ("Bob", "add", "Bob", "Add to"),
        ("This is not Ann", "not", 7, ""),
    ]
    assert entries[-1].separated and entries[-1].enabled


def test_the_face_menu_of_an_unknown_face_or_in_verification() -> None:
    unknown = _fr(name=None, dist=1.3)
    assert [e.text for e in face_menu(unknown, ["Ann"], True)] == ["Name this face…", "Ann"]
    named = FaceResult(_fr().face, Match("Ann", 0.5, 1.1, True, person_id=7))
    entries = face_menu(named, ["Ann"], can_correct=False, recognition=False)
    assert [e.text for e in entries] == ["Name this face…", "This is not Ann"]
    assert not entries[-1].enabled and "cannot store corrections" in entries[-1].tip


def test_the_model_notice_tells_loading_and_failure_only() -> None:
    assert model_notice(ModelState.LOADING) == ("Loading the face model…", False)
    text, failed = model_notice(ModelState.FAILED) or ("", False)
    assert failed and "could not be loaded" in text
    assert model_notice(ModelState.READY) is None


def test_a_face_box_is_drawn_scaled_into_the_picture_and_clipped_to_it() -> None:
    picture = (10.0, 20.0, 320.0, 240.0)  # a 640 x 480 frame drawn at half size
    assert box_in_view(Box(100, 100, 50, 60), picture, 0.5) == (60.0, 70.0, 25.0, 30.0)
    assert box_in_view(Box(600, 440, 100, 100), picture, 0.5) == (310.0, 240.0, 20.0, 20.0)
    assert box_in_view(Box(700, 0, 50, 50), picture, 0.5)[2] == 0.0  # outside: no width


def test_the_face_under_the_cursor_is_the_smallest_box_holding_it() -> None:
    big, small = (0.0, 0.0, 100.0, 100.0), (40.0, 40.0, 20.0, 20.0)
    assert face_under(50, 50, [big, small]) == 1
    assert face_under(10, 10, [big, small]) == 0
    assert face_under(150, 10, [big, small]) is None
    assert face_under(5, 5, [(5.0, 5.0, 0.0, 0.0)]) is None  # an empty box holds nothing


def test_a_picture_is_fitted_centred_with_its_aspect_ratio() -> None:
    assert fitted_rect(640, 480, 800, 480) == (80.0, 0.0, 640.0, 480.0)  # bars left, right
    assert fitted_rect(640, 480, 320, 480) == (0.0, 120.0, 320.0, 240.0)  # bars above, below


def test_a_correction_embeds_the_face_and_stores_it_as_not_x() -> None:
    face = _fr().face

    class Embedder:
        def embed(self, image: np.ndarray, faces: list[Face]) -> np.ndarray:
            assert faces == [face]
            return np.ones((1, 128), np.float32)

    image = np.zeros((120, 160, 3), np.uint8)
    embedding, crop = correction_of(Embedder(), image, face)  # type: ignore[arg-type]
    assert embedding.shape == (128,) and crop[:2] == b"\xff\xd8"  # a JPEG

    stored = []

    class Store:
        def add_negative(self, pid: int, e: np.ndarray, c: bytes, source: str) -> int:
            stored.append((pid, c, source))
            return 1

    job = correction_job(7, "Ann", embedding, crop, "live view")
    assert job(Store()) == "Ann" and stored == [(7, crop, "live view")]


def test_a_label_sits_above_its_box_and_stays_inside_the_picture():
    from faceapp.session.face_labels import LABEL_PAD, label_rect

    picture = (0.0, 0.0, 200.0, 100.0)
    w, h = 40 + 2 * LABEL_PAD, 10 + LABEL_PAD
    # Room above: left-aligned with the box (one pixel out), just above it.
    assert label_rect(40, 10, (50, 50, 30, 30), picture) == (49, 50 - h - 2, w, h)
    # No room above: just below the box.
    assert label_rect(40, 10, (50, 5, 30, 30), picture) == (49, 37, w, h)
    # At the right edge: moved left to stay inside; at the bottom, moved up.
    assert label_rect(40, 10, (190, 5, 10, 90), picture) == (200 - w, 100 - h, w, h)
    # Wider than the picture: as wide as the picture, from its left edge.
    assert label_rect(500, 10, (50, 50, 30, 30), picture)[::2] == (0.0, 200.0)


def test_the_face_right_clicked_is_offered_alone_and_corrections_say_what_they_did():
    from faceapp.core.types import Box, Face, FaceResult, FrameResult
    from faceapp.session.face_labels import correction_note, face_alone

    eyes = ((10, 10), (30, 10), (20, 20), (12, 30), (28, 30))
    a = FaceResult(Face(Box(0, 0, 50, 50), eyes, 0.9))
    b = FaceResult(Face(Box(100, 0, 50, 50), eyes, 0.9))
    result = FrameResult(7, 1.5, (a, b))
    alone = face_alone(result, Box(102, 1, 50, 50))  # the same face, a frame later
    assert alone is not None and (alone.index, alone.timestamp, alone.faces) == (7, 1.5, (b,))
    assert face_alone(result, Box(300, 300, 20, 20)) is None  # gone from view
    assert correction_note("Ann") == "Noted: that face is not Ann"
    assert correction_note("Ann", "disk full") == "Not corrected (Ann): disk full"
