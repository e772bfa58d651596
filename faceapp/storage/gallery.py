"""GalleryStore: the enrolled people and their face samples in one SQLite file."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import cast

import numpy as np

from faceapp.core.matching import GalleryIndex, l2_normalize
from faceapp.core.quality import QualityFigures
from faceapp.storage.database import (
    BACKUP_SUFFIX,
    FILE_MODE,
    FOLDER_MODE,
    LOCK_TIMEOUT_S,
    GalleryFile,
    id_chunks,
)
from faceapp.storage.names import (
    MAX_NAME_LENGTH,
    clean_name,
    lookalike_problem,
    name_key,
    normalise_name,
)
from faceapp.storage.samples import (
    NewSample,
    decode_embedding,
    embedding_blob,
    quality_column,
    quality_from_json,
    sample_values,
)
from faceapp.storage.schema import (
    APPLICATION_ID,
    NEGATIVES_SCHEMA,
    SCHEMA_VERSION,
    GalleryError,
    Negative,
    Person,
    Sample,
)

__all__ = [
    "APPLICATION_ID",
    "BACKUP_SUFFIX",
    "FILE_MODE",
    "FOLDER_MODE",
    "LOCK_TIMEOUT_S",
    "MAX_NAME_LENGTH",
    "SCHEMA_VERSION",
    "GalleryError",
    "GalleryStore",
    "Negative",
    "NewSample",
    "Person",
    "QualityFigures",
    "Sample",
    "StampedIndex",
    "clean_name",
    "normalise_name",
]

log = logging.getLogger(__name__)


def utc_now_text() -> str:
    """Return the time now in UTC as stored with people and samples (ISO 8601, seconds)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class StampedIndex(GalleryIndex):
    """A :class:`GalleryIndex` that also knows when each of its people was enrolled.

    Gallery ids are not forever: after ``wipe()`` the next person enrolled gets id 1
    again, and removing the newest person frees their id for the next one.  The
    enrolment time (``Person.created_at``) read together with the id tells whether an
    id still belongs to the person a face was matched with (see
    :class:`~faceapp.storage.history.NewEvent`'s ``person_since``).

    Parameters
    ----------
    enrolled_at : tuple of str
        ``Person.created_at`` of each person, parallel to ``person_ids``; empty when
        unknown.
    """

    enrolled_at: tuple[str, ...] = ()

    def enrolled_at_of(self, person_id: int | None) -> str | None:
        """Return when the person with this id in the snapshot was enrolled, or None."""
        if person_id is None or len(self.enrolled_at) != len(self.person_ids):
            return None
        try:
            return self.enrolled_at[self.person_ids.index(int(person_id))]
        except ValueError:
            return None


class GalleryStore(GalleryFile):
    """The enrolled gallery in one SQLite file.

    Parameters
    ----------
    path : str or Path
        Database file.  Nothing is created until the first write; then the file is made
        with mode 0600 and any missing folders with mode 0700.

    Raises
    ------
    GalleryError
        When ``path`` is a folder, lies under a file, is an empty (0-byte) file, is not a
        SQLite database, is a SQLite database of another program, has a schema newer than
        this version understands, or is damaged (``PRAGMA quick_check`` fails).  The file
        is never modified, overwritten or deleted in these cases; the message is one line
        that names the file and says what to do.

    Notes
    -----
    Every method opens its own short-lived connection and every write is one
    ``BEGIN IMMEDIATE`` transaction that commits whole or rolls back whole, so one store
    (or several stores on the same file) may be used from any thread or process; a call
    waits up to ``LOCK_TIMEOUT_S`` seconds for a concurrent writer, then raises
    ``GalleryError``.  The database file is only ever opened through SQLite: closing any
    other descriptor of it would drop the POSIX locks SQLite holds for the whole process.

    A new gallery is built in a private temporary file next to ``path``
    (``.<name>.<pid>-<random>.new``; a process killed in that moment may leave one
    behind) and hard-linked into place when its first write commits, so ``path`` either
    does not exist or is a complete gallery.  Galleries carry
    ``PRAGMA application_id`` = ``APPLICATION_ID``.  Every write first runs
    ``PRAGMA quick_check`` under the write lock, and so do opening the store and
    ``people()``.  A copy of the file is kept at ``backup_path`` (mode 0600) before
    every schema migration and before ``wipe()``.

    Connections run with ``PRAGMA secure_delete = ON``: removed names, embeddings and
    thumbnails are overwritten with zeros in the file, not just unlinked from its
    b-trees, and the rollback journal that held them is deleted at commit.  (A backup
    copy made earlier still holds them; see ``wipe``.  A file switched to WAL mode,
    which faceapp never does, keeps the old pages until the next checkpoint.)

    The file's permissions are tightened to 0600 when they are looser (with a warning);
    so are those of faceapp's data folder (``faceapp.paths.user_data_path()``) to 0700,
    but never those of another existing folder the gallery is placed in.

    Embeddings are stored L2-normalised as little-endian float32 BLOBs together with
    their dimension; all samples in one gallery share one dimension.

    "Not X" corrections (:meth:`add_negative`) are biometric data like samples: the
    face's embedding and crop, in the same file under the same rules (0600, secure
    delete), removed with the person and by ``wipe``; ``index()`` carries them to
    matching (:func:`~faceapp.core.matching.identify`).
    """

    # -- queries -----------------------------------------------------------------------

    _PERSON_SQL = (
        "SELECT p.id, p.name, count(s.id), p.created_at FROM people p"
        " LEFT JOIN samples s ON s.person_id = p.id"
    )

    def _person(self, conn: sqlite3.Connection, name_or_id: str | int) -> Person | None:
        key: str | int
        if isinstance(name_or_id, (int, np.integer)):
            where, key = "p.id = ?", int(name_or_id)
        else:
            where, key = "p.name = ?", name_key(str(name_or_id))
        row = conn.execute(f"{self._PERSON_SQL} WHERE {where} GROUP BY p.id", (key,)).fetchone()
        return Person(*row) if row else None

    def _require(self, conn: sqlite3.Connection, name_or_id: str | int) -> Person:
        person = self._person(conn, name_or_id)
        if person is None:
            raise KeyError(f"nobody called {name_or_id!r} is enrolled")
        return person

    def find_person(self, name_or_id: str | int) -> Person | None:
        """Return the person with this gallery id or display name, or None.

        Names match exactly (case-sensitive) after the normalisation of
        ``normalise_name`` (NFC, outer whitespace stripped).  A name that
        ``normalise_name`` would refuse is looked up all the same (it matches nobody,
        unless a gallery written before those rules holds it).
        """
        with self.read_transaction() as conn:
            return self._person(conn, name_or_id)

    def people(self) -> list[Person]:
        """Return everybody enrolled, sorted by name ignoring case, with sample counts.

        Raises
        ------
        GalleryError
            When ``PRAGMA quick_check`` finds the file damaged.
        """
        with self.read_transaction(check=True) as conn:
            rows = conn.execute(f"{self._PERSON_SQL} GROUP BY p.id").fetchall()
        return sorted((Person(*r) for r in rows), key=lambda p: (p.name.casefold(), p.name))

    def samples(self, person: str | int) -> list[Sample]:
        """Return a person's samples, oldest first.

        Raises
        ------
        KeyError
            When the person is not enrolled.
        GalleryError
            When a stored embedding's length disagrees with its dimension (damaged file).
        """
        with self.read_transaction() as conn:
            pid = self._require(conn, person).id
            rows = conn.execute(
                "SELECT id, person_id, dim, source, created_at, thumbnail, embedding,"
                f" {quality_column(conn)} FROM samples WHERE person_id = ? ORDER BY id",
                (pid,),
            ).fetchall()
        return [
            Sample(i, owner, dim, source, at, thumb, self._decode(blob, dim), quality_from_json(q))
            for i, owner, dim, source, at, thumb, blob, q in rows
        ]

    def _decode(self, blob: bytes, dim: int) -> np.ndarray:
        return decode_embedding(blob, dim, self._path)

    def thumbnail(self, person: str | int) -> bytes | None:
        """Return the JPEG bytes of the newest sample that has a thumbnail, or None.

        Raises
        ------
        KeyError
            When the person is not enrolled.
        """
        with self.read_transaction() as conn:
            pid = self._require(conn, person).id
            row = conn.execute(
                "SELECT thumbnail FROM samples WHERE person_id = ? AND thumbnail IS NOT NULL"
                " ORDER BY id DESC LIMIT 1",
                (pid,),
            ).fetchone()
        return bytes(row[0]) if row else None

    def index(self) -> GalleryIndex:
        """Return an immutable snapshot for matching; people with no samples are left out.

        The snapshot holds the people's "not X" corrections too (:meth:`add_negative`).
        It does not follow later writes; compare ``revision()`` to know when to take a
        new one.  It may be handed to another thread.
        """
        with self.read_transaction() as conn:
            rows = conn.execute(
                "SELECT p.id, p.name, s.embedding, s.dim FROM samples s"
                " JOIN people p ON p.id = s.person_id ORDER BY p.id, s.id"
            ).fetchall()
            negatives = [(r[0], self._decode(r[1], r[2])) for r in self._negative_rows(conn)]
        return GalleryIndex.from_samples(
            [(r[0], r[1], self._decode(r[2], r[3])) for r in rows], negatives=negatives
        )

    @staticmethod
    def _negative_rows(conn: sqlite3.Connection) -> list[tuple[int, bytes, int]]:
        """Return ``(person_id, embedding, dim)`` of every negative (none before schema 6).

        Reads never migrate a file, so a gallery of an older schema is read as it is.
        """
        if conn.execute("PRAGMA user_version").fetchone()[0] < NEGATIVES_SCHEMA:
            return []
        return conn.execute(
            "SELECT person_id, embedding, dim FROM negatives ORDER BY person_id, id"
        ).fetchall()

    def negatives(self, person: str | int) -> list[Negative]:
        """Return the "not X" corrections of a person, oldest first.

        Raises
        ------
        KeyError
            When the person is not enrolled.
        GalleryError
            When a stored embedding's length disagrees with its dimension (damaged file).
        """
        with self.read_transaction() as conn:
            pid = self._require(conn, person).id
            if conn.execute("PRAGMA user_version").fetchone()[0] < NEGATIVES_SCHEMA:
                return []
            rows = conn.execute(
                "SELECT id, person_id, dim, source, created_at, crop, embedding"
                " FROM negatives WHERE person_id = ? ORDER BY id",
                (pid,),
            ).fetchall()
        return [
            Negative(i, owner, dim, source, at, crop, self._decode(blob, dim))
            for i, owner, dim, source, at, crop, blob in rows
        ]

    def revision(self) -> int:
        """Return a number that changes with every committed write, from any process.

        Compare it with a remembered value to know whether an ``index()`` snapshot is
        stale.  It is 0 while there is no gallery file (nothing enrolled), grows by one
        per write, and starts from the clock (in microseconds) when the file is created,
        so it does not repeat an old value with other contents after ``wipe()``.
        """
        with self.read_transaction() as conn:
            return int(conn.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()[0])

    # -- writes ------------------------------------------------------------------------

    def add_person(self, name: str) -> Person:
        """Enrol a person with no samples yet.

        Raises
        ------
        ValueError
            When the name is invalid (see ``normalise_name``), already enrolled, or looks
            like an enrolled one (``lookalike_problem``).
        """
        clean = normalise_name(name)

        def body(conn: sqlite3.Connection) -> Person:
            self._refuse_lookalike(conn, clean)
            try:
                conn.execute(
                    "INSERT INTO people(name, created_at) VALUES (?, ?)", (clean, utc_now_text())
                )
            except sqlite3.IntegrityError:
                raise ValueError(f"{clean!r} is already enrolled") from None
            return self._require(conn, clean)

        return self.write_transaction(body)

    def get_or_create_person(self, name: str) -> Person:
        """Return the person called ``name``, enrolling them first when needed."""
        clean = normalise_name(name)
        return self.write_transaction(lambda conn: self._get_or_create(conn, clean))

    @staticmethod
    def _refuse_lookalike(conn: sqlite3.Connection, clean: str, keep: int = -1) -> None:
        """Raise ValueError when ``clean`` looks like another person's name (a look-alike)."""
        others = (r[0] for r in conn.execute("SELECT name FROM people WHERE id != ?", (keep,)))
        problem = lookalike_problem(clean, others)
        if problem is not None:
            raise ValueError(problem)

    def _get_or_create(self, conn: sqlite3.Connection, clean: str) -> Person:
        if conn.execute("SELECT 1 FROM people WHERE name = ?", (clean,)).fetchone() is None:
            self._refuse_lookalike(conn, clean)
        conn.execute(
            "INSERT INTO people(name, created_at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING",
            (clean, utc_now_text()),
        )
        return self._require(conn, clean)

    def add_samples(
        self,
        name: str,
        items: Sequence[NewSample],
        create: bool = True,
    ) -> list[int]:
        """Store several samples of one person in one transaction.

        Parameters
        ----------
        name : str
            Display name of the person (see ``normalise_name``).
        items : sequence of (embedding, thumbnail, source[, quality])
            ``embedding`` is a finite 1-D float array (any length, L2-normalised here;
            all samples in the gallery must share one length); ``thumbnail`` JPEG bytes
            or None; ``source`` free text or None; the optional ``quality`` the
            :class:`QualityFigures` measured on the face (``assess_face(...).figures``),
            or None when not known.
        create : bool
            Enrol the person when not yet enrolled; otherwise that is a ``KeyError``.

        Returns
        -------
        list of int
            The new sample ids, in the order of ``items``; empty (and nothing written)
            when ``items`` is empty.

        Raises
        ------
        ValueError, TypeError, KeyError
            On an invalid name or item, a dimension differing from the gallery's, or a
            missing person with ``create=False``.  Nothing is written then, not even
            the person, and no gallery file is created.
        """
        clean = normalise_name(name)
        if not items:
            return []

        def body(conn: sqlite3.Connection) -> list[int]:
            person = self._get_or_create(conn, clean) if create else self._require(conn, clean)
            row = conn.execute("SELECT dim FROM samples LIMIT 1").fetchone()
            gallery_dim = row[0] if row else None
            ids = []
            for item in items:
                blob, dim, thumb, source, quality = sample_values(item)
                gallery_dim = gallery_dim or dim
                if dim != gallery_dim:
                    raise ValueError(f"embedding has {dim} values, the gallery uses {gallery_dim}")
                cur = conn.execute(
                    "INSERT INTO samples(person_id, embedding, dim, thumbnail, source,"
                    " created_at, quality) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (person.id, blob, dim, thumb, source, utc_now_text(), quality),
                )
                ids.append(cast(int, cur.lastrowid))
            return ids

        return self.write_transaction(body)

    def add_negative(
        self,
        person_id: str | int,
        embedding: np.ndarray,
        crop: bytes | None = None,
        source: str | None = None,
    ) -> int:
        """Store a "not X" correction: a face the user says is not this person.

        From then on a face nearer to it than to the person's own nearest sample is not
        named them (:func:`~faceapp.core.matching.identify`); the person's samples are
        left as they are.

        Parameters
        ----------
        person_id : str or int
            Gallery id or display name of the person the face is *not*.
        embedding : ndarray, shape (d,)
            The face's embedding: finite, 1-D, the gallery's dimension (L2-normalised
            here).
        crop : bytes, optional
            JPEG bytes of the face, to show the correction later.
        source : str, optional
            Where the face came from (file name, "camera", ...).

        Returns
        -------
        int
            The new negative's id.

        Raises
        ------
        KeyError
            When the person is not enrolled.
        ValueError, TypeError
            On an invalid embedding (or one of another dimension than the gallery's),
            crop or source; nothing is written then.
        """
        blob, dim = embedding_blob(embedding)
        if crop is not None and not isinstance(crop, (bytes, bytearray, memoryview)):
            raise TypeError("a crop must be JPEG bytes or None")
        if source is not None and not isinstance(source, str):
            raise TypeError("a source must be a str or None")

        def body(conn: sqlite3.Connection) -> int:
            person = self._require(conn, person_id)
            row = conn.execute("SELECT dim FROM samples LIMIT 1").fetchone()
            if row is not None and row[0] != dim:
                raise ValueError(f"embedding has {dim} values, the gallery uses {row[0]}")
            crop_bytes = None if crop is None else bytes(crop)
            cur = conn.execute(
                "INSERT INTO negatives(person_id, embedding, dim, crop, source, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (person.id, blob, dim, crop_bytes, source, utc_now_text()),
            )
            return cast(int, cur.lastrowid)

        return self.write_transaction(body)

    def remove_negative(self, negative_id: int) -> None:
        """Delete one "not X" correction (overwritten in the file, like a sample).

        Raises
        ------
        KeyError
            When no correction has this id.
        """

        def body(conn: sqlite3.Connection) -> None:
            if conn.execute("DELETE FROM negatives WHERE id = ?", (int(negative_id),)).rowcount:
                return
            raise KeyError(f"no correction with id {negative_id}")

        self.write_transaction(body)

    def rename(self, old: str | int, new: str) -> Person:
        """Give a person a new display name; samples and id are kept.

        ``old`` is looked up like ``find_person`` (so a name stored before the rules of
        ``normalise_name`` can still be renamed to a valid one); ``new`` must pass them.

        Raises
        ------
        KeyError
            When ``old`` is not enrolled.
        ValueError
            When ``new`` is invalid, or another person already has it or a name that
            looks like it (``lookalike_problem``).
        """
        clean = normalise_name(new)

        def body(conn: sqlite3.Connection) -> Person:
            person = self._require(conn, old)
            self._refuse_lookalike(conn, clean, person.id)
            try:
                conn.execute("UPDATE people SET name = ? WHERE id = ?", (clean, person.id))
            except sqlite3.IntegrityError:
                raise ValueError(f"{clean!r} is already enrolled") from None
            return self._require(conn, person.id)

        return self.write_transaction(body)

    def remove_person(self, name_or_id: str | int) -> Person:
        """Delete a person together with all their samples; return who was removed.

        With ``secure_delete`` on, their name, embeddings and thumbnails are overwritten
        with zeros in the gallery file by the time this returns.

        Raises
        ------
        KeyError
            When the person is not enrolled.
        """

        def body(conn: sqlite3.Connection) -> Person:
            person = self._require(conn, name_or_id)
            conn.execute("DELETE FROM people WHERE id = ?", (person.id,))
            return person

        return self.write_transaction(body)

    def remove_sample(self, sample_id: int) -> None:
        """Delete one sample (see :meth:`remove_samples`)."""
        self.remove_samples([sample_id])

    def remove_samples(self, sample_ids: Sequence[int]) -> None:
        """Delete several samples in one transaction, all or none (people stay, maybe with 0).

        Raises
        ------
        KeyError
            When one of the ids names no sample; nothing is deleted then.
        """
        ids = sorted({int(i) for i in sample_ids})

        def body(conn: sqlite3.Connection) -> None:
            for chunk in id_chunks(ids):
                marks = ",".join("?" * len(chunk))
                found = conn.execute(f"SELECT id FROM samples WHERE id IN ({marks})", chunk)
                missing = sorted(set(chunk) - {r[0] for r in found})
                if missing:  # raising rolls back what earlier chunks deleted
                    raise KeyError(f"no sample with id {missing[0]}")
                conn.execute(f"DELETE FROM samples WHERE id IN ({marks})", chunk)

        if ids:
            self.write_transaction(body)

    # -- reads for the GUI's people list (kept apart from the methods above) -----------

    def thumbnails(self, person_ids: Sequence[int]) -> dict[int, bytes]:
        """Return the newest thumbnail of each listed person, in one short query.

        Parameters
        ----------
        person_ids : sequence of int
            Gallery ids, typically the few dozen rows a list shows at a time.

        Returns
        -------
        dict of int to bytes
            JPEG bytes by person id, as :meth:`thumbnail` returns them; people without
            a thumbnail, and ids nobody has, are left out.
        """
        ids = sorted({int(i) for i in person_ids})
        out: dict[int, bytes] = {}
        with self.read_transaction() as conn:
            for chunk in id_chunks(ids):
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    "SELECT person_id, thumbnail FROM samples WHERE id IN"
                    " (SELECT max(id) FROM samples WHERE thumbnail IS NOT NULL"
                    f" AND person_id IN ({marks}) GROUP BY person_id)",
                    chunk,
                ).fetchall()
                out.update((int(pid), bytes(blob)) for pid, blob in rows)
        return out

    def people_in_steps(
        self, pause: Callable[[], None] = lambda: None, rows_per_step: int = 8192
    ) -> list[Person]:
        """Return what :meth:`people` returns, built in short steps.

        For a caller whose thread shares the interpreter lock with a GUI thread: rows
        are read, turned into :class:`Person` values and sorted ``rows_per_step`` at a
        time (the sorted runs are then merged), and ``pause()`` is called between steps,
        so that no single step holds the lock for more than a few milliseconds (one
        ``sorted()`` of 100,000 names holds it for about 100 ms).

        Parameters
        ----------
        pause : callable
            Called between steps, e.g. ``lambda: time.sleep(0.001)``.
        rows_per_step : int
            Rows per step.
        """
        import heapq

        def key(p: Person) -> tuple[str, str]:
            return p.name.casefold(), p.name

        runs: list[list[Person]] = []
        with self.read_transaction() as conn:
            cur = conn.execute(f"{self._PERSON_SQL} GROUP BY p.id")
            while rows := cur.fetchmany(rows_per_step):
                runs.append(sorted((Person(*r) for r in rows), key=key))
                pause()
        return list(heapq.merge(*runs, key=key))

    def index_in_steps(
        self, pause: Callable[[], None] = lambda: None, rows_per_step: int = 8192
    ) -> StampedIndex:
        """Return the same snapshot as :meth:`index`, built in short steps, with enrolment times.

        The samples are read and decoded ``rows_per_step`` at a time into one
        preallocated array, with ``pause()`` between steps (see :meth:`people_in_steps`);
        it is also a few times faster than :meth:`index` for large galleries.  The
        people's enrolment times are read in the same transaction (see
        :class:`StampedIndex`).

        Raises
        ------
        GalleryError
            When a stored embedding's length disagrees with its dimension, or the
            samples do not share one dimension (damaged file).
        """
        with (
            self.read_transaction() as conn
        ):  # one read transaction: a consistent view for the reads
            names: dict[int, str] = {}
            enrolled: dict[int, str] = {}
            cur = conn.execute("SELECT id, name, created_at FROM people")
            while rows := cur.fetchmany(rows_per_step):
                names.update((r[0], r[1]) for r in rows)
                enrolled.update((r[0], r[2] or "") for r in rows)
                pause()
            n, dim = conn.execute("SELECT count(*), max(dim) FROM samples").fetchone()
            if not n:
                return StampedIndex.empty()  # type: ignore[return-value]
            owners_ids = np.empty(n, np.int64)
            embeddings = np.empty((n, dim), np.float32)
            cur = conn.execute(
                "SELECT person_id, embedding, dim FROM samples ORDER BY person_id, id"
            )
            done = 0
            negative_rows = self._negative_rows(conn)
            while rows := cur.fetchmany(rows_per_step):
                if done + len(rows) > n or any(r[2] != dim or len(r[1]) != 4 * dim for r in rows):
                    raise GalleryError(f"{self._path}: damaged sample (dimension mismatch)")
                chunk = slice(done, done + len(rows))
                owners_ids[chunk] = [r[0] for r in rows]
                blob = b"".join([r[1] for r in rows])
                embeddings[chunk] = np.frombuffer(blob, "<f4").reshape(len(rows), dim)
                done += len(rows)
                pause()
        ids, owners = np.unique(owners_ids[:done], return_inverse=True)
        person_ids = tuple(int(i) for i in ids)
        position = {pid: k for k, pid in enumerate(person_ids)}
        kept = [  # a correction of another dimension (samples since replaced) cannot match
            (position[r[0]], self._decode(r[1], r[2]))
            for r in negative_rows
            if r[0] in position and r[2] == dim
        ]
        return StampedIndex(
            person_ids,
            tuple(names[i] for i in person_ids),
            l2_normalize(embeddings[:done]),
            owners.astype(np.int64),
            negatives=l2_normalize(np.stack([e for _, e in kept])) if kept else np.zeros((0, 0)),
            negative_owners=np.array([k for k, _ in kept], np.int64),
            enrolled_at=tuple(enrolled[i] for i in person_ids),
        )
