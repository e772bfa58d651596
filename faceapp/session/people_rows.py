"""PeopleRows: the rows of a people list filtered by name, followed person by person."""

from __future__ import annotations

from collections.abc import Iterable

from faceapp.storage.gallery import Person
from faceapp.storage.people import PeopleList


class PeopleRows:
    """The people a list view shows: everybody whose name contains the filter text.

    A front end's list model keeps one and asks it which rows change: a new filter, a
    person enrolled, renamed or removed, thumbnails that arrived.  Not thread-safe: the
    thread that shows the list owns it.
    """

    def __init__(self) -> None:
        #: The text names must contain to be listed, ignoring case ("" lists everybody).
        self.text = ""
        #: The people listed, sorted by name ignoring case.
        self.listed = PeopleList()
        self._narrower = False

    def person(self, row: int) -> Person | None:
        """Return the person in ``row``, or None when there is no such row."""
        return self.listed[row] if 0 <= row < len(self.listed) else None

    def set_filter(self, text: str) -> bool:
        """Take a new filter text (stripped); return False when the filter is unchanged.

        After True, :meth:`listing` returns the people the new filter lists.
        """
        text = text.strip()
        if text == self.text:
            return False
        # One more letter typed (the old text is part of the new one): only the people
        # listed can still match, so only they are searched (100,000 names take ~10 ms).
        self._narrower = bool(self.text) and self.text.casefold() in text.casefold()
        self.text = text
        return True

    def listing(self, everybody: PeopleList) -> PeopleList:
        """Return the people of ``everybody`` to list under the filter (not yet :attr:`listed`).

        After a narrower filter (:meth:`set_filter`) only the people listed are searched.
        """
        within = self.listed if self._narrower else everybody
        self._narrower = False
        return within.matching(self.text)

    def visible(self, person: Person) -> bool:
        """Return True when the filter lists ``person``."""
        return self.text.casefold() in person.name.casefold()

    def update(self, before: Person | None, after: Person) -> tuple[int, int]:
        """Follow an enrolment or a change of ``after``; return its ``(old row, new row)``.

        Either is -1 when the person was not listed before, or is not listed now (the
        filter hides the new name).
        """
        return self.listed.replace(before, after if self.visible(after) else None)

    def remove(self, person: Person) -> int:
        """Forget a removed person; return the row they had, or -1."""
        old, _ = self.listed.replace(person, None)
        return old

    def rows_of(self, people: Iterable[tuple[int, str]]) -> list[int]:
        """Return the rows listing these ``(person_id, name)`` pairs (others are left out)."""
        rows = []
        for person_id, name in people:
            row = self.listed.row_of_name(name)
            if row >= 0 and self.listed[row].id == person_id:
                rows.append(row)
        return rows
