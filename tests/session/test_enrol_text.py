"""The capture dialog's and guided panel's texts, and a sample thumbnail's cut, without Qt."""

from __future__ import annotations

from faceapp.core.guided_capture import GuidedCapture, Shot
from faceapp.core.types import Box
from faceapp.session.enrol_text import (
    add_anyway_text,
    added_rows,
    faces_text,
    gallery_empty,
    name_hint,
    progress_text,
    save_text,
    sentence,
    shot_caption,
    shot_tip,
    thumbnail_box,
)
from faceapp.storage.gallery import Person

ANN = Person(1, "Ann", 3, "2026-01-01T10:00:00")


def _named(name: str) -> Person | None:
    return ANN if name == "Ann" else None


def test_the_faces_in_view_are_told() -> None:
    assert faces_text(None, False).startswith("No processed frame yet")
    assert faces_text(0, False) == "No face in view. Face the camera and press Retake."
    assert faces_text(0, True) == "No face in view. Face the camera."
    assert faces_text(1, False) == "One face in view."
    assert faces_text(3, True).startswith("3 faces in view: the largest (green) is offered")


def test_the_name_hint_says_what_enrolling_would_do() -> None:
    assert name_hint("  ", _named, False).startswith("Type a new name")
    assert name_hint("Bob", _named, False) == "Enrols Bob as a new person."
    assert name_hint("Ann", _named, False) == "Adds sample #4 to Ann."
    assert name_hint("Ann", _named, True) == "Adds the samples, from #4 on, to Ann."
    assert name_hint("a/b\x00", _named, False).startswith("Not a usable name: ")


def test_the_guided_texts() -> None:
    assert (save_text(1), save_text(3)) == ("Save 1 sample", "Save 3 samples")
    assert sentence("face the camera") == "Face the camera."
    assert sentence(" too dark. ") == "Too dark." and sentence("") == ""
    shot = Shot(0.2, -3.0, 1.0)
    assert shot_caption(0, shot) == f"1 {shot.pose}"
    assert shot_tip(1, shot) == f"Sample 2: {shot.pose}, turn +0.20, tilt -3°"
    capture = GuidedCapture()
    assert progress_text(capture) == capture.progress()


def test_a_thumbnail_is_cut_with_a_margin_inside_the_frame() -> None:
    assert thumbnail_box(Box(100, 100, 50, 100), 640, 480) == (80, 80, 170, 220)
    assert thumbnail_box(Box(-10, -10, 50, 50), 640, 480) == (0, 0, 50, 50)
    assert thumbnail_box(Box(700, 0, 50, 50), 640, 480) is None  # outside the frame


def test_the_gallery_is_empty_once_read_with_nobody_having_a_sample() -> None:
    nobody = Person(2, "Bob", 0, "2026-01-01T10:00:00")
    assert not gallery_empty(False, [])  # not read yet: no hint
    assert gallery_empty(True, []) and gallery_empty(True, [nobody])
    assert not gallery_empty(True, [nobody, ANN])


def test_the_name_typed_resolves_to_an_enrolled_spelling_or_a_new_clean_name():
    from faceapp.session.enrol_text import resolved_name
    from faceapp.storage.gallery import Person

    ann = Person(1, "Ann Lee", 2, "2026-01-01T00:00:00")
    named = {"ann lee": ann}.get
    assert resolved_name(" ann lee ", lambda n: named(n.casefold())) == "Ann Lee"
    assert resolved_name("Bob", lambda n: None) == "Bob"
    assert resolved_name("   ", lambda n: None) is None


def test_the_enrol_button_saves_guided_samples_or_enrols_a_checked_face():
    from faceapp.session.enrol_text import enrol_button

    assert enrol_button(True, 0, False, True) == ("Save 0 samples", False)
    assert enrol_button(True, 3, False, True) == ("Save 3 samples", True)
    assert enrol_button(True, 3, True, False) == ("Save 3 samples", False)
    assert enrol_button(False, 0, True, True) == ("Enrol", True)
    assert enrol_button(False, 5, False, True) == ("Enrol", False)
    assert enrol_button(False, 0, True, False) == ("Enrol", False)


def test_the_wrong_person_warning_adds_only_what_the_user_ticked() -> None:
    assert add_anyway_text(0) == "Add anyway" and add_anyway_text(2) == "Add 2 anyway"
    assert added_rows(False, [True, True]) == []  # skipped or closed
    assert added_rows(True, []) == [0]  # one sample, no check box: "Add anyway"
    assert added_rows(True, [False, True, True]) == [1, 2]
