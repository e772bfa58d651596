"""PeopleState: the people list and snapshot a window shows, and the claim each update implies."""

from __future__ import annotations

from faceapp.session.gallery import GalleryEdit
from faceapp.session.people_state import PeopleState
from faceapp.storage.gallery import Person
from faceapp.storage.people import PeopleSnapshot

ANN = Person(1, "Ann", 3, "2026-01-01T10:00:00")
BOB = Person(2, "Bob", 1, "2026-01-02T10:00:00")


def _loaded(*people: Person) -> PeopleState:
    state = PeopleState()
    state.load(PeopleSnapshot.of(people), None)
    return state


def test_a_claim_is_taken_as_enrolled_until_the_list_is_read() -> None:
    state = PeopleState()
    assert not state.loaded and state.index is None
    assert state.claim_enrolled("Zed")
    state.load(PeopleSnapshot.of([ANN]), "Zed")
    assert state.loaded
    assert not state.claim_enrolled("Zed") and state.claim_enrolled("Ann")
    assert state.claim_enrolled(None)


def test_a_reread_list_carries_the_claim_to_a_person_renamed_elsewhere() -> None:
    state = _loaded(ANN, BOB)
    renamed = Person(1, "Anna", 3, ANN.created_at)
    assert state.load(PeopleSnapshot.of([renamed, BOB]), "Ann") == "Anna"
    assert state.load(PeopleSnapshot.of([BOB]), "Anna") is None  # removed elsewhere


def test_edits_change_the_list_and_move_or_drop_the_claim() -> None:
    state = _loaded(ANN)
    assert state.apply(GalleryEdit(1, "add", after=BOB, sample_ids=(9,)), "Ann") == "Ann"
    assert [p.name for p in state.people.people()] == ["Ann", "Bob"]
    renamed = Person(1, "Zoe", 3, ANN.created_at)
    assert state.apply(GalleryEdit(2, "rename", before=ANN, after=renamed), "Ann") == "Zoe"
    assert [p.name for p in state.people.people()] == ["Bob", "Zoe"]
    assert state.apply(GalleryEdit(3, "remove_person", before=renamed), "Zoe") is None
    assert [p.name for p in state.people.people()] == ["Bob"]


def test_a_failed_edit_changes_nothing() -> None:
    state = _loaded(ANN)
    failed = GalleryEdit(1, "remove_person", error="The gallery is locked.", before=ANN)
    assert state.apply(failed, "Ann") == "Ann"
    assert state.people.get(1) == ANN


def test_forgetting_empties_the_list_and_the_snapshot() -> None:
    state = _loaded(ANN)
    index = state.forget()
    assert state.index is index and len(index) == 0
    assert not state.loaded and len(state.people) == 0
