"""The enrolled people as front ends list them: a sorted PeopleList and its PeopleSnapshot."""

from __future__ import annotations

import bisect
import operator
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from faceapp.storage.schema import Person

_ID = operator.attrgetter("id")


def sort_key(name: str) -> tuple[str, str]:
    """Return the key people are listed by: the name ignoring case, then the name itself."""
    return name.casefold(), name


class PeopleList:
    """People sorted by name ignoring case, with lookups and updates in O(log n).

    Plain Python: the window's :class:`~faceapp.gui.context.AppContext` keeps the whole
    gallery in one, and each of its people models keeps the rows it shows in another.
    Lookups by name bisect the sorted keys; the id-to-person table is only built when
    a lookup by id needs it, so making a list of 100,000 people takes milliseconds.

    Parameters
    ----------
    people : iterable of Person
        Any order, unless ``presorted``.
    presorted : bool
        True when ``people`` are already in :func:`sort_key` order (skips the sort).
    """

    def __init__(self, people: Iterable[Person] = (), presorted: bool = False) -> None:
        rows = list(people)
        if not presorted:
            rows.sort(key=lambda p: sort_key(p.name))
        self._rows = rows
        self._keys = [sort_key(p.name) for p in rows]
        self._by_id: dict[int, Person] | None = None

    @classmethod
    def from_snapshot(cls, snapshot: PeopleSnapshot) -> PeopleList:
        """Return a list of the people in ``snapshot`` without recomputing anything.

        Copies two sequences at C speed (milliseconds for 100,000 people), so it can run
        on a GUI thread.
        """
        return cls._from_parts(list(snapshot.people), list(snapshot.keys))

    @classmethod
    def _from_parts(cls, rows: list[Person], keys: list[tuple[str, str]]) -> PeopleList:
        out = cls.__new__(cls)
        out._rows, out._keys, out._by_id = rows, keys, None
        return out

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, row: int) -> Person:
        return self._rows[row]

    def __iter__(self) -> Iterator[Person]:
        return iter(self._rows)

    def people(self) -> list[Person]:
        """Return a copy of the rows, in order."""
        return list(self._rows)

    def get(self, person_id: int) -> Person | None:
        """Return the person with this gallery id, or None (the first call builds a table)."""
        if self._by_id is None:
            self._by_id = dict(zip(map(_ID, self._rows), self._rows))
        return self._by_id.get(person_id)

    def row_of(self, person_id: int) -> int:
        """Return the row of the person with this gallery id, or -1."""
        person = self.get(person_id)
        return -1 if person is None else self.row_of_name(person.name)

    def row_of_name(self, name: str) -> int:
        """Return the row of the person called exactly ``name``, or -1."""
        key = sort_key(name)
        row = bisect.bisect_left(self._keys, key)
        return row if row < len(self._keys) and self._keys[row] == key else -1

    def row_of_person(self, person: Person) -> int:
        """Return the row of ``person`` (found by name, checked by id; by id if renamed), or -1."""
        row = self.row_of_name(person.name)
        if row >= 0 and self._rows[row].id == person.id:
            return row
        return self.row_of(person.id)

    def named_ignoring_case(self, name: str) -> Person | None:
        """Return the person called ``name``, else one whose name differs only in case."""
        exact = self.row_of_name(name)
        if exact >= 0:
            return self._rows[exact]
        fold = name.casefold()
        row = bisect.bisect_left(self._keys, (fold, ""))
        if row < len(self._keys) and self._keys[row][0] == fold:
            return self._rows[row]
        return None

    def insert(self, person: Person) -> int:
        """Add ``person`` (not yet listed) in their place; return their row."""
        key = sort_key(person.name)
        row = bisect.bisect_left(self._keys, key)
        self._rows.insert(row, person)
        self._keys.insert(row, key)
        if self._by_id is not None:
            self._by_id[person.id] = person
        return row

    def pop(self, row: int) -> Person:
        """Remove and return the person in ``row``."""
        person = self._rows.pop(row)
        del self._keys[row]
        if self._by_id is not None:
            self._by_id.pop(person.id, None)
        return person

    def replace(self, before: Person | None, after: Person | None) -> tuple[int, int]:
        """Take ``before`` out (when listed) and put ``after`` in (when given).

        Returns
        -------
        tuple of int
            The row ``before`` had (-1 when not listed) and the row ``after`` has now
            (-1 when None).
        """
        old = self.row_of_person(before) if before is not None else -1
        if old >= 0:
            self.pop(old)
        return old, (self.insert(after) if after is not None else -1)

    def matching(self, text: str) -> PeopleList:
        """Return the people whose name contains ``text``, ignoring case (all when empty)."""
        fold = text.casefold()
        if not fold:
            return PeopleList._from_parts(list(self._rows), list(self._keys))
        hits = [i for i, key in enumerate(self._keys) if fold in key[0]]
        return PeopleList._from_parts(
            list(map(self._rows.__getitem__, hits)), list(map(self._keys.__getitem__, hits))
        )


@dataclass(frozen=True)
class PeopleSnapshot:
    """Everybody enrolled, sorted, with their sort keys: read in a worker thread, handed on.

    Parameters
    ----------
    people : tuple of Person
        In :func:`sort_key` order of their names.
    keys : tuple of (str, str)
        ``sort_key(person.name)`` of each, parallel to ``people``.
    """

    people: tuple[Person, ...]
    keys: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, people: Iterable[Person]) -> PeopleSnapshot:
        """Return the snapshot of ``people`` (any order); slow for many people (worker thread)."""
        rows = list(people)
        keys = [sort_key(p.name) for p in rows]
        order = sorted(range(len(rows)), key=keys.__getitem__)  # linear when already sorted
        return cls(tuple(rows[i] for i in order), tuple(keys[i] for i in order))


def initials(name: str) -> str:
    """Return the upper-case initials of the first two words of ``name`` ("?" when none)."""
    return "".join(w[0] for w in name.split()[:2]).upper() or "?"


def samples_text(n: int) -> str:
    """Return ``"1 sample"`` or ``"<n> samples"``."""
    return f"{n} sample{'s' if n != 1 else ''}"
