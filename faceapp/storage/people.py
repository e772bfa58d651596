"""The enrolled people as front ends list them (PeopleList, PeopleSnapshot) and GalleryFollower."""

from __future__ import annotations

import bisect
import logging
import operator
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from faceapp.core.matching import l2_normalize
from faceapp.storage.gallery import StampedIndex
from faceapp.storage.schema import NEGATIVES_SCHEMA, Person

log = logging.getLogger(__name__)

_ID = operator.attrgetter("id")
_FIRST = operator.itemgetter(0)


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
    ids : ndarray of int64, optional
        The person id of each row (made by :meth:`of`, so a later refresh finds a
        person's row without a pass over everybody); not compared.
    """

    people: tuple[Person, ...]
    keys: tuple[tuple[str, str], ...]
    ids: np.ndarray | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, people: Iterable[Person]) -> PeopleSnapshot:
        """Return the snapshot of ``people`` (any order); slow for many people (worker thread)."""
        rows = list(people)
        keys = [sort_key(p.name) for p in rows]
        order = sorted(range(len(rows)), key=keys.__getitem__)  # linear when already sorted
        people = tuple(rows[i] for i in order)
        return cls(people, tuple(keys[i] for i in order), _ids_of(people))


#: People whose ids are taken in one C-level pass: one pass over 100,000 held the GIL
#: 100+ ms on a loaded machine (a window stall); 8,192 take about a millisecond.
_IDS_AT_ONCE = 8192


def _ids_of(people: tuple[Person, ...]) -> np.ndarray:
    """Return the ids of ``people`` in order, in slices (other threads run between them)."""
    ids = np.empty(len(people), np.int64)
    for start in range(0, len(people), _IDS_AT_ONCE):
        part = people[start : start + _IDS_AT_ONCE]
        ids[start : start + len(part)] = np.fromiter(map(_ID, part), np.int64, len(part))
    return ids


#: Most people a refresh re-reads one by one; beyond it the whole gallery is read again.
MAX_DELTA = 500

#: One row per person of a gallery file: what changes whenever their row, samples or
#: "not X" corrections change (a file keeps no change log).
_PEOPLE_STAMP_SQL = "SELECT id, name, created_at FROM people ORDER BY id"
#: Answered from the index on ``samples(person_id)`` alone (no embedding is read).
_SAMPLE_STAMP_SQL = "SELECT person_id, count(*), max(id), total(id) FROM samples GROUP BY person_id"
_NEGATIVE_STAMP_SQL = (
    "SELECT person_id, count(*), max(id), total(id) FROM negatives GROUP BY person_id"
)
_AGGREGATE = np.dtype(
    [("pid", np.int64), ("n", np.float64), ("max", np.float64), ("sum", np.float64)]
)

#: What a store said changed: ``(mark, person ids)``; ids None when it cannot tell.
Changes = tuple[object, frozenset[int] | None]


@dataclass(frozen=True, eq=False)
class FileStamps:
    """A gallery file's per-person stamps, as arrays (no Python object per person).

    Attributes
    ----------
    ids : ndarray of int64, shape (n,)
        The people's ids, increasing.
    rows : ndarray of int64, shape (n,)
        Python's hash of each person's row ``(id, name, created_at)``: it differs after
        a rename or a re-enrolment under the id (two rows hash alike once in 2**64).
    counts : ndarray of float64, shape (n, 6)
        Count, largest id and sum of ids of the person's samples, then of their "not X"
        corrections (0 when none).
    """

    ids: np.ndarray
    rows: np.ndarray
    counts: np.ndarray

    def changed_since(self, old: FileStamps) -> frozenset[int]:
        """Return the ids of the people whose stamp differs from ``old`` (or who came or went)."""
        common, i_old, i_new = np.intersect1d(
            old.ids, self.ids, assume_unique=True, return_indices=True
        )
        differ = (old.rows[i_old] != self.rows[i_new]) | (
            old.counts[i_old] != self.counts[i_new]
        ).any(axis=1)
        gone = np.setdiff1d(old.ids, self.ids, assume_unique=True)
        came = np.setdiff1d(self.ids, old.ids, assume_unique=True)
        return frozenset(np.concatenate([common[differ], gone, came]).tolist())


def file_stamps(store: Any) -> FileStamps:
    """Return a gallery file's per-person stamps: a row that changes with each of their writes.

    One aggregate query (no embedding is read), streamed into arrays: no row outlives
    its step, so reading 100,000 stamps sets off no full garbage collection.  Two stamps
    differ when the person was renamed, re-enrolled under their id, or had samples or
    corrections added or removed; the one write it can miss is another program removing
    a person's newest sample and adding one, which SQLite may give the freed id, between
    two looks.
    """
    with store.read_transaction() as conn:
        # Two passes at C speed (no Python code per row), in one read transaction: the
        # ids, then the rows' hashes.
        ids = np.fromiter(map(_FIRST, conn.execute(_PEOPLE_STAMP_SQL)), np.int64)
        rows = np.fromiter(map(hash, conn.execute(_PEOPLE_STAMP_SQL)), np.int64)
        counts = np.zeros((len(ids), 6), np.float64)
        queries = [_SAMPLE_STAMP_SQL]
        if conn.execute("PRAGMA user_version").fetchone()[0] >= NEGATIVES_SCHEMA:
            queries.append(_NEGATIVE_STAMP_SQL)
        for k, sql in enumerate(queries):
            agg = np.fromiter(conn.execute(sql), _AGGREGATE)
            at = np.searchsorted(ids, agg["pid"])
            found = at < len(ids)
            found[found] = ids[at[found]] == agg["pid"][found]
            for j, column in enumerate(("n", "max", "sum")):
                counts[at[found], 3 * k + j] = agg[column][found]
    return FileStamps(ids, rows, counts)


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
    if not isinstance(mark, FileStamps):
        return stamps, None
    return stamps, stamps.changed_since(mark)


class GalleryFollower:
    """What a front end last read of a gallery, brought up to date by the people who changed.

    The gallery thread of a window keeps one: :meth:`mark_of` before reading everybody,
    :meth:`read` and :attr:`index` take what was read, and :meth:`catch_up`
    after a change, which re-reads only the people the store says changed (PostgreSQL's
    change log, or a gallery file's per-person stamps) and patches both.  The patch
    works on the changed people (their rows found in arrays, the others' samples and
    means kept; names only renamed keep every array); the result equals a full read
    (tested after enrol, rename, remove, add-sample, corrections and wipe).  Use from
    one thread.
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
        row_ids = self.people.ids
        if row_ids is None:  # a snapshot made without its ids
            row_ids = _ids_of(self.people.people)
        rows, keys = list(self.people.people), list(self.people.keys)
        now: dict[int, Person] = {}
        samples: dict[int, list[np.ndarray]] = {}
        negatives: dict[int, list[np.ndarray]] = {}
        read_negatives = getattr(store, "negatives", None)
        for pid in sorted(changed):
            person = store.find_person(pid)
            for row in np.flatnonzero(row_ids == pid)[::-1].tolist():
                del rows[row], keys[row]
                row_ids = np.delete(row_ids, row)
            if person is None:
                continue
            key = sort_key(person.name)
            row = bisect.bisect_left(keys, key)
            rows.insert(row, person)
            keys.insert(row, key)
            row_ids = np.insert(row_ids, row, pid)
            now[pid] = person
            try:
                samples[pid] = [s.embedding for s in store.samples(pid)]
                if callable(read_negatives):
                    negatives[pid] = [n.embedding for n in read_negatives(pid)]
            except KeyError:  # removed meanwhile: the next refresh takes them out
                samples[pid] = []
        people = PeopleSnapshot(tuple(rows), tuple(keys), row_ids)
        return people, _patched(self.index, changed, now, samples, negatives)


def _patched(
    old: StampedIndex,
    changed: frozenset[int],
    now: dict[int, Person],
    samples: dict[int, list[np.ndarray]],
    negatives: dict[int, list[np.ndarray]],
) -> StampedIndex:
    """Return ``old`` with the people in ``changed`` replaced by what was read of them.

    Works on the changed people: their sample rows are found by bisection (the index is
    in person-id order), the others' rows and means are kept, and when the changed
    people's samples are what the index holds (a rename, a correction) the arrays are
    ``old``'s own.  ValueError when the samples no longer share one dimension or the
    index is not in person-id order (then everything is read).
    """
    old_ids = np.asarray(old.person_ids, np.int64)
    owners = np.asarray(old.owners, np.int64)
    if np.any(np.diff(old_ids) <= 0) or np.any(np.diff(owners) < 0):
        raise ValueError("the index is not in person-id order")
    dim = int(old.embeddings.shape[1]) if old.embeddings.ndim == 2 else 0
    changed_ids = sorted(changed)
    fresh: dict[int, np.ndarray] = {}
    dims = {e.shape[0] for pid in changed_ids for e in samples.get(pid, [])}
    if len(dims) > 1 or (len(old_ids) and dims - {dim}):
        raise ValueError("the samples no longer share one dimension")
    for pid in changed_ids:
        if samples.get(pid):
            fresh[pid] = l2_normalize(np.asarray(samples[pid], np.float32))
    if fresh and not len(old_ids):
        dim = next(iter(fresh.values())).shape[1]
    # Each changed person's place among the people and their sample rows in ``old``.
    at = np.searchsorted(old_ids, changed_ids).tolist()
    was = [k < len(old_ids) and int(old_ids[k]) == pid for k, pid in zip(at, changed_ids)]
    spans = {
        pid: (int(np.searchsorted(owners, k, "left")), int(np.searchsorted(owners, k, "right")))
        for pid, k, there in zip(changed_ids, at, was)
        if there
    }
    same_samples = all(
        (pid in spans) == (pid in fresh)
        and (
            pid not in fresh
            or np.array_equal(old.embeddings[spans[pid][0] : spans[pid][1]], fresh[pid])
        )
        for pid in changed_ids
    )
    ids, names = list(old.person_ids), list(old.names)
    since = list(old.enrolled_at) if old.enrolled_at else [""] * len(ids)
    if same_samples:  # the same people with the same samples: names and dates only
        embeddings, new_owners, centroids = old.embeddings, old.owners, old.centroids
        for pid, k in zip(changed_ids, at):
            if pid in fresh:
                names[k], since[k] = now[pid].name, now[pid].created_at or ""
        person_ids = old_ids
    else:
        # Walk the people in id order: keep the stretches between changed people.
        emb_parts: list[np.ndarray] = []
        cen_parts: list[np.ndarray] = []
        counts: list[np.ndarray] = []
        old_counts = np.diff(np.searchsorted(owners, np.arange(len(old_ids) + 1)))
        row, person = 0, 0
        for pid, k, there in zip(changed_ids, at, was):
            start = spans[pid][0] if there else int(np.searchsorted(owners, k, "left"))
            emb_parts.append(old.embeddings[row:start])
            cen_parts.append(old.centroids[person:k])
            counts.append(old_counts[person:k])
            row, person = (spans[pid][1], k + 1) if there else (start, k)
            if pid in fresh:
                rows = fresh[pid]
                sums = np.zeros((1, rows.shape[1]), np.float32)
                np.add.at(sums, np.zeros(len(rows), np.int64), rows)
                emb_parts.append(rows)
                cen_parts.append(l2_normalize(rows if len(rows) == 1 else sums))
                counts.append(np.array([len(rows)]))
        emb_parts.append(old.embeddings[row:])
        cen_parts.append(old.centroids[person:])
        counts.append(old_counts[person:])
        for k in sorted((k for k, there in zip(at, was) if there), reverse=True):
            del ids[k], names[k], since[k]
        for pid in changed_ids:
            if pid in fresh:
                k = bisect.bisect_left(ids, pid)
                ids.insert(k, pid)
                names.insert(k, now[pid].name)
                since.insert(k, now[pid].created_at or "")
        if not ids:
            return StampedIndex.empty()  # type: ignore[return-value]
        embeddings = np.concatenate([p.reshape(-1, dim) for p in emb_parts])
        centroids = np.concatenate([c.reshape(-1, dim) for c in cen_parts])
        new_owners = np.repeat(np.arange(len(ids), dtype=np.int64), np.concatenate(counts))
        person_ids = np.asarray(ids, np.int64)
    # The corrections: the kept ones, and the changed people's as read (same dimension).
    neg_pids = old_ids[old.negative_owners] if len(old.negative_owners) else np.zeros(0, np.int64)
    neg_keep = ~np.isin(neg_pids, changed_ids)
    fresh_neg = [(pid, e) for pid in sorted(negatives) for e in negatives[pid] if e.shape[0] == dim]
    all_neg_pids = np.concatenate(
        [neg_pids[neg_keep], np.asarray([p for p, _ in fresh_neg], np.int64)]
    )
    kept_negs = old.negatives[neg_keep].reshape(-1, dim)
    new_negs = l2_normalize(np.asarray([e for _, e in fresh_neg], np.float32).reshape(-1, dim))
    all_negs = np.concatenate([kept_negs, new_negs])
    inside = np.isin(all_neg_pids, person_ids)
    order = np.argsort(all_neg_pids[inside], kind="stable")
    neg_pids_in = all_neg_pids[inside][order]
    return StampedIndex(
        tuple(ids),
        tuple(names),
        embeddings,
        new_owners,
        negatives=all_negs[inside][order] if len(neg_pids_in) else np.zeros((0, 0)),
        negative_owners=np.searchsorted(person_ids, neg_pids_in).astype(np.int64),
        enrolled_at=tuple(since),
        given_centroids=centroids,
    )


def initials(name: str) -> str:
    """Return the upper-case initials of the first two words of ``name`` ("?" when none)."""
    return "".join(w[0] for w in name.split()[:2]).upper() or "?"


def samples_text(n: int) -> str:
    """Return ``"1 sample"`` or ``"<n> samples"``."""
    return f"{n} sample{'s' if n != 1 else ''}"
