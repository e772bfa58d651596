"""The Unknown faces dialog's texts and naming job, without Qt (session/unknown_rows.py)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from faceapp.session.unknown_faces import Naming, NamingRefused, UnknownGroups
from faceapp.session.unknown_rows import (
    NO_GROUPS,
    action_note,
    group_actions,
    group_text,
    groups_summary,
    name_question,
    naming_job,
    naming_note,
    person_question,
    selection_text,
)
from faceapp.settings import Settings
from faceapp.storage.gallery import GalleryStore
from faceapp.storage.history import FaceGroup, UnknownFace


def _group(first_id: int, n: int, sources: tuple[str | None, ...] = ("/v/door.mp4",)) -> FaceGroup:
    faces = tuple(
        UnknownFace(
            first_id + k,
            datetime(2024, 5, 6, 9, k, tzinfo=timezone.utc),
            sources[k % len(sources)],
            None,
            np.zeros(128, np.float32),
        )
        for k in range(n)
    )
    return FaceGroup(first_id, faces)


def test_a_group_reads_faces_sources_and_when() -> None:
    one = group_text(_group(1, 1))
    assert one.startswith("1 face · door.mp4\n") and "–" not in one
    many = group_text(_group(1, 4, ("/a/1.mp4", "/a/2.mp4", "/a/3.mp4", "/a/4.mp4")))
    assert many.startswith("4 faces · 1.mp4, 2.mp4 and 2 more\n") and " – " in many
    assert "unknown source" in group_text(_group(1, 2, (None,)))


def test_the_summary_counts_groups_and_faces_after_the_note() -> None:
    groups = [_group(1, 3), _group(10, 2)]
    assert groups_summary(groups) == "2 groups, 5 faces"
    assert groups_summary(groups[:1], "Ignore: 2 face(s)") == "Ignore: 2 face(s) · 1 group, 3 faces"
    assert groups_summary([]) == NO_GROUPS


def test_the_selection_text_says_how_many_are_shown_or_what_merge_does() -> None:
    g = _group(1, 30)
    assert selection_text([g], 24).endswith("The best 24 are shown (6 more).")
    assert "more" not in selection_text([_group(1, 3)], 3)
    both = selection_text([g, _group(50, 2)], 0)
    assert both == "2 groups selected (32 faces): Merge joins them."
    assert selection_text([], 0) == ""


def test_the_notes_of_naming_and_actions() -> None:
    assert naming_note(Naming("Bob", True, 3, 7)) == "Enrolled Bob: 3 sample(s) from 7 faces"
    assert naming_note(Naming("Ann", False, 1, 1)).startswith("Added to Ann:")
    assert naming_note("Bob not enrolled") == "Bob not enrolled"
    assert action_note("taken out", 2) == "Taken out: 2 face(s)"


def test_the_naming_job_returns_its_refusal(tmp_path: Path) -> None:
    store = GalleryStore(tmp_path / "g.db")
    refusal = naming_job([12345], "Bob", True, Settings())(store)
    assert isinstance(refusal, NamingRefused) and refusal.reason == "gone"
    assert not refusal.forcible
    nobody = naming_job([1], "Zed", False, Settings())(store)
    assert isinstance(nobody, NamingRefused) and nobody.reason == "nobody"


def test_the_naming_questions_count_the_faces() -> None:
    assert name_question(1) == "Name of this person:"
    assert name_question(4) == "Name of the person in these 4 faces:"
    assert (person_question(1), person_question(2)) == ("This face is:", "These 2 faces are:")


def test_the_actions_follow_the_selection() -> None:
    a, b = _group(1, 3), _group(10, 2)
    nothing = group_actions([], 0, True)
    assert not (nothing.name or nothing.add or nothing.ignore or nothing.merge)
    one = group_actions([a], 1, True)
    assert one.name and one.add and one.ignore and not one.merge and one.take_out
    assert not group_actions([a], 3, True).take_out  # all its faces: nothing would stay
    assert not group_actions([a], 0, True).take_out
    two = group_actions([a, b], 0, True)
    assert two.merge and two.ignore and not two.name
    alone = group_actions([a], 0, False)
    assert alone.name and not alone.add and alone.add_tip.startswith("Nobody is enrolled")


def test_a_naming_that_ended_says_what_it_did_and_what_to_warn_of():
    from faceapp.session.unknown_rows import naming_end

    failed = naming_end("Ann", None, OSError("disk full"))
    assert (failed.outcome, failed.warning, failed.refusal) == (
        "Ann not enrolled: disk full",
        "Ann: disk full",
        None,
    )
    refusal = NamingRefused("it looks like Bob", forcible=True)
    refused = naming_end("Ann", refusal, None)
    assert refused.outcome == "Ann not enrolled"
    assert refused.warning == "Ann was not enrolled: it looks like Bob."
    assert refused.refusal is refusal
    done = object()
    assert naming_end("Ann", done, None) == naming_end("Ann", done, None)
    assert (naming_end("Ann", done, None).outcome, naming_end("Ann", done, None).warning) == (
        done,
        None,
    )


def test_the_actions_on_groups_run_only_on_a_selection_that_allows_them():
    import pytest

    from faceapp.session.unknown_rows import (
        IGNORE,
        MERGE,
        TAKE_OUT,
        action_end,
        group_job,
        group_tip,
    )

    a, b = _group(11, 3), _group(21, 1)
    assert group_job(IGNORE, [], []) is None
    assert group_job(MERGE, [a], []) is None  # one group: nothing to merge
    assert group_job(TAKE_OUT, [a, b], [11]) is None  # faces of one group only
    assert group_job(TAKE_OUT, [a], []) is None  # no face selected
    assert all(callable(group_job(x, [a, b], [])) for x in (IGNORE, MERGE))
    assert callable(group_job(TAKE_OUT, [a], [12]))
    with pytest.raises(ValueError, match="not an action"):
        group_job("delete", [a], [])
    assert action_end(MERGE, 4, None) == ("Merge: 4 face(s)", "")
    assert action_end(MERGE, None, "locked") == ("", "Not done: locked")
    assert group_tip(_group(31, 1, sources=(None,))) == "no source recorded"
    assert group_tip(_group(31, 2, sources=("a.mp4", "cam 0"))) == "a.mp4\ncam 0"


def test_a_group_is_listed_by_its_first_face_shown() -> None:
    group, bare = _group(1, 3), _group(10, 2)
    data = UnknownGroups((group, bare), {i: f"crop {i}" for i in group.event_ids})
    assert data.cover(group) == f"crop {data.shown_faces(group)[0]}"
    assert data.cover(bare) is None  # no crop decoded for it
