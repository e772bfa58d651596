"""session.window_state: matching settings, the result on screen, the claim's person (no Qt)."""

from __future__ import annotations

import pytest

from faceapp.core.matching import GalleryIndex, automatic_distance
from faceapp.core.types import FrameResult
from faceapp.session.gallery import GalleryEdit
from faceapp.session.window_state import (
    RECOGNITION,
    VERIFICATION,
    ShownResult,
    automatic_distance_of,
    claim_after_edit,
    claim_enrolled,
    distance_in_force,
    followed_claim,
    liveness_claim,
    match_settings_of,
    other_mode,
)
from faceapp.settings import Settings
from faceapp.storage.gallery import Person
from faceapp.storage.people import PeopleList

ANN = Person(1, "Ann", 3, "2026-01-01T10:00:00")
BOB = Person(2, "Bob", 2, "2026-01-01T10:00:01")


def test_match_settings_follow_mode_claim_and_rate() -> None:
    s = Settings(mode=VERIFICATION, claim="Ann")
    m = match_settings_of(s)
    assert (m.mode, m.claim, m.threshold) == (VERIFICATION, "Ann", s.threshold_for(VERIFICATION))
    assert match_settings_of(Settings(mode="nonsense")).mode == RECOGNITION
    assert liveness_claim(s) == "Ann" and liveness_claim(Settings(claim="Ann")) is None


def test_the_automatic_distance_follows_the_gallery() -> None:
    s = Settings()
    if s.threshold_for(RECOGNITION) is not None:
        pytest.skip("recognition's threshold is pinned by default")
    empty = GalleryIndex.empty()
    assert distance_in_force(s, None) == automatic_distance(empty, s.stranger_rate)
    assert distance_in_force(s, None, VERIFICATION) == s.threshold_for(VERIFICATION)
    pinned = Settings(threshold=0.6)
    assert distance_in_force(pinned, None) == pytest.approx(0.6)
    assert automatic_distance_of(pinned, None) == automatic_distance(empty, s.stranger_rate)


def test_a_result_describes_its_frame_and_within_hold_later_ones() -> None:
    shown = ShownResult(hold_s=1.0)
    shown.add_result(FrameResult(index=5, timestamp=2.0))
    assert not shown.refresh()  # no frame shown yet, 2 s away
    shown.show_frame(6, 2.5)
    assert shown.refresh() and shown.current is shown.newest
    shown.show_frame(9, 3.5)
    assert shown.refresh() and shown.current is None  # 1.5 s later
    shown.hold_s = 0.0  # a slideshow: only its own frame
    shown.show_frame(5, 99.0)
    assert shown.refresh() and shown.current is shown.newest
    shown.clear()
    assert shown.refresh() and shown.current is None
    assert not shown.refresh()


def test_a_claim_is_enrolled_until_the_list_says_otherwise() -> None:
    people = PeopleList([ANN])
    assert claim_enrolled("Zoe", people, loaded=False)
    assert not claim_enrolled("Zoe", people, loaded=True)
    assert claim_enrolled("Ann", people, True) and claim_enrolled(None, people, True)


def test_the_claim_follows_a_rename_by_another_program_and_drops_a_removal() -> None:
    before = PeopleList([ANN, BOB])
    renamed = PeopleList([Person(1, "Anna", 3, ANN.created_at), BOB])
    assert followed_claim("Ann", before, renamed) == "Anna"
    assert followed_claim("Ann", before, PeopleList([BOB])) is None
    reused = PeopleList([Person(1, "Cy", 1, "2026-02-02T00:00:00")])  # id reused after a wipe
    assert followed_claim("Ann", before, reused) is None
    assert followed_claim("Zoe", before, renamed) == "Zoe"  # never listed: left alone
    assert followed_claim("Bob", before, renamed) == "Bob"


def test_the_claim_after_a_write_in_the_window() -> None:
    anna = Person(1, "Anna", 3, ANN.created_at)
    assert claim_after_edit("Ann", GalleryEdit(1, "rename", None, ANN, anna)) == "Anna"
    assert claim_after_edit("Bob", GalleryEdit(1, "rename", None, ANN, anna)) == "Bob"
    assert claim_after_edit("Ann", GalleryEdit(2, "remove_person", None, ANN, None)) is None
    assert claim_after_edit("Ann", GalleryEdit(3, "add", None, None, ANN, (7,))) == "Ann"
    assert claim_after_edit("Ann", GalleryEdit(4, "remove_sample", None, ANN, ANN, (7,))) == "Ann"


def test_switch_mode_goes_from_each_mode_to_the_other() -> None:
    assert other_mode(VERIFICATION) == RECOGNITION
    assert other_mode(RECOGNITION) == VERIFICATION
