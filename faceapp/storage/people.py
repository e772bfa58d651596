"""The enrolled people as front ends list them (PeopleList, PeopleSnapshot) and GalleryFollower."""

from __future__ import annotations

import bisect
import logging
import operator
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from faceapp.core.matching import l2_normalize
from faceapp.storage.gallery import StampedIndex
from faceapp.storage.schema import NEGATIVES_SCHEMA, Person

log = logging.getLogger(__name__)

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


#: Most people a refresh re-reads one by one; beyond it the whole gallery is read again.
MAX_DELTA = 500

#: One row per person of a gallery file: what changes whenever their row, samples or
#: "not X" corrections change (a file keeps no change log).
_PEOPLE_STAMP_SQL = "SELECT id, name, created_at FROM people"
#: Answered from the index on ``samples(person_id)`` alone (no embedding is read).
_SAMPLE_STAMP_SQL = (
    "SELECT person_id, count(*), max(id), total(id) FROM samples GROUP BY person_id"
)
_NEGATIVE_STAMP_SQL = (
    "SELECT person_id, count(*), max(id), total(id) FROM negatives GROUP BY person_id"
)

#: What a store said changed: ``(mark, person ids)``; ids None when it cannot tell.
Changes = tuple[object, frozenset[int] | None]


def file_stamps(store: Any) -> dict[int, tuple[Any, ...]]:
    """Return a gallery file's per-person stamps: a row that changes with each of their writes.

    One aggregate query (no embedding is read).  Two stamps differ when the person was
    renamed, re-enrolled under their id, or had samples or corrections added or removed;
    the one write it can miss is another program removing a person's newest sample and
    adding one, which SQLite may give the freed id, between two looks.
    """
    with store.read_transaction() as conn:
        stamps: dict[int, tuple[Any, ...]] = {
            r[0]: (r[1], r[2]) for r in conn.execute(_PEOPLE_STAMP_SQL)
        }
        queries = [_SAMPLE_STAMP_SQL]
        if conn.execute("PRAGMA user_version").fetchone()[0] >= NEGATIVES_SCHEMA:
            queries.append(_NEGATIVE_STAMP_SQL)
        for k, sql in enumerate(queries):
            for r in conn.execute(sql):
                if r[0] in stamps:
                    stamps[r[0]] += (k, *r[1:])
    return stamps


def changes_of(store: Any, mark: object) -> Changes:
    """Return a new mark of ``store`` and who changed since ``mark`` (None: read everything).

    A store with a change log (``changes_since``, PostgreSQL) answers from it and the
    mark is its revision; for a gallery file the mark is its :func:`file_stamps` and the
    changed people are those whose stamp differs.  ``mark`` None (nothing read yet)
    changes everything.
    """
    since = getattr(store, "changes_since", None)
    if callable(since):
        if not isinstance(mark, int):
            return store.revision(), None
        revision, ids = since(mark)
        return revision, ids
    stamps = file_stamps(store)
    if not isinstance(mark, dict):
        return stamps, None
    changed = {pid for pid, stamp in stamps.items() if mark.get(pid) != stamp}
    changed.update(pid for pid in mark if pid not in stamps)
    return stamps, frozenset(changed)


class GalleryFollower:
    """What a front end last read of a gallery, brought up to date by the people who changed.

    The gallery thread of a window keeps one: :meth:`mark_of` before reading everybody,
    :meth:`read` and :attr:`index` take what was read, and :meth:`catch_up`
    after a change, which re-reads only the people the store says changed (PostgreSQL's
    change log, or a gallery file's per-person stamps) and patches both.  The result
    equals a full read (tested after enrol, rename, remove, add-sample, corrections and
    wipe).  Use from one thread.
    """

    def __init__(self) -> None:
        self._mark: object = None
        self.people: PeopleSnapshot | None = None
        self.index: StampedIndex | None = None

    @staticmethod
    def mark_of(store: Any) -> object:
        """Return what tells later who changed: take it *before* reading everybody."""
        return changes_of(store, None)[0]

    def read(self, mark: object, people: PeopleSnapshot) -> None:
        """Take a full read: ``mark`` (from :meth:`mark_of`) and the people read after it.

        The index built next is given to :attr:`index`.
        """
        self._mark, self.people, self.index = mark, people, None

    def forget(self) -> None:
        """Drop what was read (another gallery is opened)."""
        self._mark, self.people, self.index = None, None, None

    def catch_up(self, store: Any) -> bool:
        """Apply the changes made since the last read; tell whether that was possible.

        False when the full read must be done instead: nothing read yet, the store cannot
        tell who changed (a wipe, a log too old, a migration), more than
        :data:`MAX_DELTA` people changed, or the new samples do not fit the index.  On
        True, :attr:`people` and :attr:`index` are the gallery now.
        """
        if self.people is None or self.index is None or self._mark is None:
            return False
        mark, changed = changes_of(store, self._mark)
        if changed is None or len(changed) > MAX_DELTA:
            return False
        if changed:
            try:
                people, index = self._apply(store, changed)
            except (ValueError, KeyError) as exc:  # e.g. a new dimension: read everything
                log.info("incremental refresh not possible (%s); reading everything", exc)
                return False
            self.people, self.index = people, index
        self._mark = mark
        return True

    def _apply(self, store: Any, changed: frozenset[int]) -> tuple[PeopleSnapshot, StampedIndex]:
        assert self.people is not None and self.index is not None
        listed = PeopleList.from_snapshot(self.people)
        now: dict[int, Person] = {}
        samples: dict[int, list[np.ndarray]] = {}
        negatives: dict[int, list[np.ndarray]] = {}
        read_negatives = getattr(store, "negatives", None)
        for pid in sorted(changed):
            person = store.find_person(pid)
            listed.replace(listed.get(pid), person)
            if person is None:
                continue
            now[pid] = person
            try:
                samples[pid] = [s.embedding for s in store.samples(pid)]
                if callable(read_negatives):
                    negatives[pid] = [n.embedding for n in read_negatives(pid)]
            except KeyError:  # removed meanwhile: the next refresh takes them out
                samples[pid] = []
        people = PeopleSnapshot(tuple(listed._rows), tuple(listed._keys))
        return people, _patched(self.index, changed, now, samples, negatives)


def _patched(
    old: StampedIndex,
    changed: frozenset[int],
    now: dict[int, Person],
    samples: dict[int, list[np.ndarray]],
    negatives: dict[int, list[np.ndarray]],
) -> StampedIndex:
    """Return ``old`` with the people in ``changed`` replaced by what was read of them."""
    old_ids = np.asarray(old.person_ids, np.int64)
    row_pids = old_ids[old.owners] if len(old_ids) else np.zeros(0, np.int64)
    keep = ~np.isin(row_pids, list(changed))
    new_pids = [pid for pid in sorted(samples) for _ in samples[pid]]
    rows = [e for pid in sorted(samples) for e in samples[pid]]
    dims = {e.shape[0] for e in rows} | ({old.embeddings.shape[1]} if keep.any() else set())
    if len(dims) > 1:
        raise ValueError("the samples no longer share one dimension")
    if not keep.any() and not rows:
        return StampedIndex.empty()  # type: ignore[return-value]
    dim = dims.pop()
    pids = np.concatenate([row_pids[keep], np.asarray(new_pids, np.int64)])
    fresh_rows = l2_normalize(np.asarray(rows, np.float32).reshape(-1, dim))
    embeddings = np.concatenate([old.embeddings[keep].reshape(-1, dim), fresh_rows])
    order = np.argsort(pids, kind="stable")
    pids, embeddings = pids[order], embeddings[order]
    person_ids = np.unique(pids)
    owners = np.searchsorted(person_ids, pids)
    names = dict(zip(old.person_ids, old.names))
    since = dict(zip(old.person_ids, old.enrolled_at)) if old.enrolled_at else {}
    for pid, person in now.items():
        names[pid], since[pid] = person.name, person.created_at or ""
    ids = tuple(int(i) for i in person_ids)
    # The corrections: the kept ones, and the changed people's as read (same dimension).
    neg_pids = old_ids[old.negative_owners] if len(old.negative_owners) else np.zeros(0, np.int64)
    neg_keep = ~np.isin(neg_pids, list(changed))
    fresh = [(pid, e) for pid in sorted(negatives) for e in negatives[pid] if e.shape[0] == dim]
    all_neg_pids = np.concatenate([neg_pids[neg_keep], np.asarray([p for p, _ in fresh], np.int64)])
    kept_negs = old.negatives[neg_keep].reshape(-1, dim)
    new_negs = l2_normalize(np.asarray([e for _, e in fresh], np.float32).reshape(-1, dim))
    all_negs = np.concatenate([kept_negs, new_negs])
    inside = np.isin(all_neg_pids, person_ids)
    order = np.argsort(all_neg_pids[inside], kind="stable")
    neg_pids_in = all_neg_pids[inside][order]
    return StampedIndex(
        ids,
        tuple(names[i] for i in ids),
        embeddings,
        owners.astype(np.int64),
        negatives=all_negs[inside][order] if len(neg_pids_in) else np.zeros((0, 0)),
        negative_owners=np.searchsorted(person_ids, neg_pids_in).astype(np.int64),
        enrolled_at=tuple(since.get(i, "") for i in ids),
    )


def initials(name: str) -> str:
    """Return the upper-case initials of the first two words of ``name`` ("?" when none)."""
    return "".join(w[0] for w in name.split()[:2]).upper() or "?"


def samples_text(n: int) -> str:
    """Return ``"1 sample"`` or ``"<n> samples"``."""
    return f"{n} sample{'s' if n != 1 else ''}"
