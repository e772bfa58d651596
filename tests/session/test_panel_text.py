"""The side panels' texts and the liveness challenge's view (no Qt)."""

from __future__ import annotations

from faceapp.core.liveness.challenge import ChallengeState, Step
from faceapp.session.panel_text import (
    add_photos_question,
    challenge_view,
    delete_person_question,
    empty_gallery_text,
    people_count_text,
)


def test_people_count_says_how_many_and_how_many_the_search_shows():
    assert people_count_text(0, 0, searching=False) == ""
    assert people_count_text(1, 1, searching=False) == "1 person"
    assert people_count_text(100_000, 100_000, searching=False) == "100,000 people"
    assert people_count_text(4, 2, searching=True) == "2 of 4 people"
    assert people_count_text(0, 0, searching=True) == "0 of 0 people"


def test_the_empty_list_says_reading_until_the_gallery_is_read():
    assert empty_gallery_text(False) == "Reading the gallery…"
    assert empty_gallery_text(True).startswith("Nobody enrolled yet.")


def test_the_questions_name_the_photos_and_the_person():
    assert add_photos_question(1).startswith("Whose face is in this photo?")
    assert add_photos_question(3).startswith("Whose face is in these photos?")
    assert "Delete Ann and all their face samples" in delete_person_question("Ann")


def test_the_challenge_shows_only_in_verification_while_it_runs():
    assert challenge_view(None, verifying=True) == challenge_view(None, verifying=False)
    assert not challenge_view(None, verifying=True).bar
    running = ChallengeState(Step.TURN_LEFT, "Turn left", progress=0.5)
    view = challenge_view(running, verifying=True)
    assert (view.bar, view.percent, view.retry) == (True, 50, False)
    assert not challenge_view(running, verifying=False).bar
    failed = ChallengeState(Step.FAILED, "Try again", progress=0.2)
    view = challenge_view(failed, verifying=True)
    assert (view.bar, view.retry) == (False, True)


def test_a_person_with_one_sample_is_marked_and_told_why_more_help():
    from faceapp.session.panel_text import ONE_SAMPLE_MARK, person_line, person_tip
    from faceapp.storage.gallery import Person

    one = Person(1, "Ann", 1, "2026-01-02T10:00:00")
    three = Person(2, "Bob", 3, "2026-01-03T10:00:00")
    assert person_line(one, with_counts=False) == "Ann"
    assert person_line(one, with_counts=True) == f"Ann\n1 sample{ONE_SAMPLE_MARK}"
    assert person_line(three, with_counts=True) == "Bob\n3 samples"
    assert person_tip(three, 2, 0.01) == "Bob: 3 samples, enrolled 2026-01-03"
    tip = person_tip(one, 2, 0.01)
    assert tip.startswith("Ann: 1 sample, enrolled 2026-01-02\n") and len(tip.splitlines()) > 1
