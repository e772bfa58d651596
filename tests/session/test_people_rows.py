"""PeopleRows: which rows a filtered people list shows, and which change."""

from __future__ import annotations

from faceapp.session.people_rows import PeopleRows
from faceapp.storage.gallery import Person
from faceapp.storage.people import PeopleList

ANN = Person(1, "Ann", 3, "2026-01-01T10:00:00")
BOB = Person(2, "Bob", 1, "2026-01-02T10:00:00")
ZOE = Person(3, "Zoe", 2, "2026-01-03T10:00:00")
EVERYBODY = PeopleList([ANN, BOB, ZOE])


def _names(rows: PeopleList) -> list[str]:
    return [p.name for p in rows.people()]


def test_a_filter_lists_names_containing_it_ignoring_case() -> None:
    rows = PeopleRows()
    assert _names(rows.listing(EVERYBODY)) == ["Ann", "Bob", "Zoe"]
    assert rows.set_filter(" o ")
    assert not rows.set_filter("o")  # the same text once stripped
    rows.listed = rows.listing(EVERYBODY)
    assert _names(rows.listed) == ["Bob", "Zoe"]
    assert rows.person(1) == ZOE and rows.person(2) is None and rows.person(-1) is None


def test_one_more_letter_searches_only_the_people_listed() -> None:
    rows = PeopleRows()
    rows.set_filter("o")
    rows.listed = rows.listing(EVERYBODY)
    rows.set_filter("ob")
    assert _names(rows.listing(PeopleList())) == ["Bob"]  # not the (empty) everybody
    rows.set_filter("a")  # another letter: everybody is searched again
    assert _names(rows.listing(EVERYBODY)) == ["Ann"]


def test_changes_move_rows_and_hidden_names_leave_the_list() -> None:
    rows = PeopleRows()
    rows.set_filter("o")
    rows.listed = rows.listing(EVERYBODY)
    assert rows.update(None, Person(4, "Tom", 1, "2026-01-04T10:00:00")) == (-1, 1)
    assert rows.update(BOB, Person(2, "Bill", 1, BOB.created_at)) == (0, -1)  # hidden now
    assert rows.remove(ZOE) == 1
    assert rows.remove(ANN) == -1  # never listed
    assert _names(rows.listed) == ["Tom"]


def test_thumbnails_arrived_name_the_rows_still_listing_them() -> None:
    rows = PeopleRows()
    rows.listed = rows.listing(EVERYBODY)
    assert rows.rows_of([(3, "Zoe"), (9, "Ann"), (2, "Nobody"), (1, "Ann")]) == [2, 0]
