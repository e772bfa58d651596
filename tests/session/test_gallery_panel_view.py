"""The gallery panel's one-sample hint and awaited edits, without Qt."""

from __future__ import annotations

from faceapp.session.gallery import GalleryEdit
from faceapp.session.gallery_panel_view import PendingEdits, one_sample_hint
from faceapp.session.outlook_text import more_samples_text
from faceapp.storage.gallery import Person


def test_only_a_person_with_one_sample_gets_the_hint_with_their_name() -> None:
    bob = Person(1, "Bob", 1, "2026-01-01T10:00:00")
    assert one_sample_hint(bob, 12, 0.01) == f"Bob: {more_samples_text(12, 0.01)}"
    assert one_sample_hint(Person(2, "Ann", 3, "2026-01-01T10:00:00"), 12, 0.01) == ""
    assert one_sample_hint(None, 12, 0.01) == ""


def test_only_awaited_edits_that_failed_are_told_once() -> None:
    edits = PendingEdits()
    edits.add(4, "Cannot rename")
    edits.add(5, "Cannot delete")
    assert edits.failure(GalleryEdit(9, "rename", "taken")) is None  # another window's
    assert edits.failure(GalleryEdit(4, "rename", "Ann is taken")) == (
        "Cannot rename",
        "Ann is taken",
    )
    assert edits.failure(GalleryEdit(4, "rename", "Ann is taken")) is None  # told once
    assert edits.failure(GalleryEdit(5, "remove_person")) is None  # went well
    assert edits.failure(GalleryEdit(5, "remove_person", "gone")) is None  # ended already
