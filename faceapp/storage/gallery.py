"""GalleryStore: the enrolled people and their face samples in one SQLite file."""

from __future__ import annotations

import logging
import sqlite3
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import cast

import numpy as np

from faceapp.core.matching import GalleryIndex, l2_normalize

log = logging.getLogger(__name__)

#: Longest display name accepted, in Unicode code points (after stripping).
MAX_NAME_LENGTH = 100

#: Seconds a call waits for another thread or process holding the write lock.
LOCK_TIMEOUT_S = 10.0

_SQLITE_MAGIC = b"SQLite format 3\x00"
_SIDE_FILES = ("-journal", "-wal", "-shm")


def _migrate_v1(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL)")
    conn.execute(
        "CREATE TABLE people(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE"
        f" CHECK (length(name) BETWEEN 1 AND {MAX_NAME_LENGTH}), created_at TEXT)"
    )
    conn.execute(
        "CREATE TABLE samples(id INTEGER PRIMARY KEY,"
        " person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
        " embedding BLOB NOT NULL, dim INTEGER NOT NULL"
        " CHECK (dim > 0 AND length(embedding) = 4 * dim),"
        " thumbnail BLOB, source TEXT, created_at TEXT)"
    )
    conn.execute("CREATE INDEX samples_person ON samples(person_id)")
    # Seeded with the creation time (microseconds) so that a wiped and recreated
    # gallery does not repeat a revision an observer may still remember.
    conn.execute("INSERT INTO meta VALUES ('revision', ?)", (time.time_ns() // 1000,))


#: Schema migrations; entry ``k`` upgrades ``PRAGMA user_version`` from ``k`` to ``k + 1``.
_MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_migrate_v1]
SCHEMA_VERSION = len(_MIGRATIONS)


class GalleryError(Exception):
    """The gallery file cannot be used: not a faceapp gallery, too new, damaged or locked."""


@dataclass(frozen=True)
class Person:
    """An enrolled person.

    Parameters
    ----------
    id : int
        Gallery id, stable for the person's lifetime (also across renames).
    name : str
        Display name, unique in the gallery.
    n_samples : int
        Number of stored face samples (may be 0).
    created_at : str
        Enrolment time, ISO 8601 in UTC.
    """

    id: int
    name: str
    n_samples: int
    created_at: str


@dataclass(frozen=True)
class Sample:
    """One stored face sample.

    Parameters
    ----------
    id : int
        Sample id.
    person_id : int
        Gallery id of the owner.
    dim : int
        Embedding dimension.
    source : str or None
        Free text saying where the sample came from (file name, "camera", ...).
    created_at : str
        Time the sample was stored, ISO 8601 in UTC.
    thumbnail : bytes or None
        JPEG bytes of the face crop, when one was stored.
    embedding : ndarray, shape (dim,), float32
        The stored L2-normalised embedding, exactly as stored; read-only.
    """

    id: int
    person_id: int
    dim: int
    source: str | None
    created_at: str
    thumbnail: bytes | None = field(repr=False)
    embedding: np.ndarray = field(repr=False, compare=False)


def clean_name(name: str) -> str:
    """Return ``name`` as it is stored: surrounding whitespace stripped, Unicode NFC.

    Raises
    ------
    TypeError
        When ``name`` is not a string.
    ValueError
        When the result is empty, longer than ``MAX_NAME_LENGTH`` code points, or contains
        control characters.
    """
    if not isinstance(name, str):
        raise TypeError(f"a name must be a str, not {type(name).__name__}")
    clean = unicodedata.normalize("NFC", name.strip())
    if not clean:
        raise ValueError("a name must not be empty")
    if len(clean) > MAX_NAME_LENGTH:
        raise ValueError(f"a name must be at most {MAX_NAME_LENGTH} characters long")
    if any(unicodedata.category(c) == "Cc" for c in clean):
        raise ValueError("a name must not contain control characters")
    return clean


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _embedding_blob(embedding: np.ndarray) -> tuple[bytes, int]:
    """Return the little-endian float32 bytes of the unit-length ``embedding`` and its dim."""
    v = np.asarray(embedding)
    if v.ndim != 1 or v.size == 0 or not np.issubdtype(v.dtype, np.floating):
        raise ValueError(f"an embedding must be a 1-D float array, not {v.dtype}{v.shape}")
    v = v.astype(np.float64)
    norm = float(np.linalg.norm(v)) if np.isfinite(v).all() else float("nan")
    if not np.isfinite(norm) or norm == 0.0:
        raise ValueError("an embedding must be finite and not all zero")
    # Dividing in float64 first keeps huge-but-finite inputs from overflowing float32.
    return l2_normalize(v / norm).astype("<f4").tobytes(), int(v.size)


class GalleryStore:
    """The enrolled gallery in one SQLite file.

    Parameters
    ----------
    path : str or Path
        Database file; it and its parent directories are created on first use.

    Raises
    ------
    GalleryError
        When ``path`` is not a SQLite database, is a SQLite database of another program,
        or has a schema newer than this version understands.  The file is never modified,
        overwritten or deleted in these cases.

    Notes
    -----
    Every method opens its own short-lived connection and every write is one
    ``BEGIN IMMEDIATE`` transaction that commits whole or rolls back whole, so one store
    (or several stores on the same file) may be used from any thread or process; a call
    waits up to ``LOCK_TIMEOUT_S`` seconds for a concurrent writer, then raises
    ``GalleryError``.  Embeddings are stored L2-normalised as little-endian float32 BLOBs
    together with their dimension; all samples in one gallery share one dimension.
    """

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect():
            pass

    @property
    def path(self) -> Path:
        """The database file."""
        return self._path

    # -- connections -------------------------------------------------------------------

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """Yield a new connection to an up-to-date schema; closed on exit."""
        try:
            with open(self._path, "rb") as f:
                head = f.read(len(_SQLITE_MAGIC))
        except FileNotFoundError:
            head = b""
        if head and head != _SQLITE_MAGIC:
            raise GalleryError(f"{self._path}: not a SQLite database; left untouched")
        conn = None
        try:
            conn = sqlite3.connect(self._path, timeout=LOCK_TIMEOUT_S, isolation_level=None)
            conn.execute("PRAGMA foreign_keys = ON")
            self._migrate(conn)
            yield conn
        except sqlite3.Error as exc:
            raise GalleryError(f"{self._path}: {exc}") from exc
        finally:
            if conn is not None:
                conn.close()

    def _migrate(self, conn: sqlite3.Connection) -> None:
        if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
            return
        with self._transaction(conn):
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise GalleryError(
                    f"{self._path}: gallery schema version {version} is newer than this"
                    f" faceapp understands ({SCHEMA_VERSION}); left untouched"
                )
            if version == 0:
                tables = conn.execute(
                    "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
                ).fetchall()
                if tables:
                    raise GalleryError(
                        f"{self._path}: a SQLite database of another program"
                        f" (tables: {', '.join(t[0] for t in tables)}); left untouched"
                    )
            for step in _MIGRATIONS[version:]:
                step(conn)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            log.info(
                "gallery %s migrated from schema %d to %d", self._path, version, SCHEMA_VERSION
            )

    @staticmethod
    @contextmanager
    def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
        """Run the body in one write transaction; bump the revision when rows changed."""
        conn.execute("BEGIN IMMEDIATE")
        before = conn.total_changes
        try:
            yield
            if conn.total_changes != before:
                conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'revision'")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as conn, self._transaction(conn):
            yield conn

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
            where, key = "p.name = ?", unicodedata.normalize("NFC", str(name_or_id).strip())
        row = conn.execute(f"{self._PERSON_SQL} WHERE {where} GROUP BY p.id", (key,)).fetchone()
        return Person(*row) if row else None

    def _require(self, conn: sqlite3.Connection, name_or_id: str | int) -> Person:
        person = self._person(conn, name_or_id)
        if person is None:
            raise KeyError(f"nobody called {name_or_id!r} is enrolled")
        return person

    def find_person(self, name_or_id: str | int) -> Person | None:
        """Return the person with this gallery id or display name, or None.

        Names match exactly (case-sensitive) after the normalisation of ``clean_name``.
        """
        with self._connect() as conn:
            return self._person(conn, name_or_id)

    def people(self) -> list[Person]:
        """Return everybody enrolled, sorted by name ignoring case, with sample counts."""
        with self._connect() as conn:
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
        with self._connect() as conn:
            pid = self._require(conn, person).id
            rows = conn.execute(
                "SELECT id, person_id, dim, source, created_at, thumbnail, embedding"
                " FROM samples WHERE person_id = ? ORDER BY id",
                (pid,),
            ).fetchall()
        return [Sample(r[0], r[1], r[2], r[3], r[4], r[5], self._decode(r[6], r[2])) for r in rows]

    def _decode(self, blob: bytes, dim: int) -> np.ndarray:
        if len(blob) != 4 * dim:
            raise GalleryError(f"{self._path}: damaged sample ({len(blob)} bytes for dim {dim})")
        v = np.frombuffer(blob, dtype="<f4").astype(np.float32)
        v.setflags(write=False)
        return v

    def thumbnail(self, person: str | int) -> bytes | None:
        """Return the JPEG bytes of the newest sample that has a thumbnail, or None.

        Raises
        ------
        KeyError
            When the person is not enrolled.
        """
        with self._connect() as conn:
            pid = self._require(conn, person).id
            row = conn.execute(
                "SELECT thumbnail FROM samples WHERE person_id = ? AND thumbnail IS NOT NULL"
                " ORDER BY id DESC LIMIT 1",
                (pid,),
            ).fetchone()
        return bytes(row[0]) if row else None

    def index(self) -> GalleryIndex:
        """Return an immutable snapshot for matching; people with no samples are left out.

        The snapshot does not follow later writes; compare ``revision()`` to know when to
        take a new one.  It may be handed to another thread.
        """
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT p.id, p.name, s.embedding, s.dim FROM samples s"
                " JOIN people p ON p.id = s.person_id ORDER BY p.id, s.id"
            ).fetchall()
        return GalleryIndex.from_samples([(r[0], r[1], self._decode(r[2], r[3])) for r in rows])

    def revision(self) -> int:
        """Return a number that changes with every committed write, from any process.

        Compare it with a remembered value to know whether an ``index()`` snapshot is
        stale.  It grows by one per write and restarts from the clock (in microseconds)
        when the file is created, so it does not repeat an old value after ``wipe()``.
        """
        with self._connect() as conn:
            return int(conn.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()[0])

    # -- writes ------------------------------------------------------------------------

    def add_person(self, name: str) -> Person:
        """Enrol a person with no samples yet.

        Raises
        ------
        ValueError
            When the name is invalid (see ``clean_name``) or already enrolled.
        """
        clean = clean_name(name)
        with self._write() as conn:
            try:
                conn.execute("INSERT INTO people(name, created_at) VALUES (?, ?)", (clean, _now()))
            except sqlite3.IntegrityError:
                raise ValueError(f"{clean!r} is already enrolled") from None
            return self._require(conn, clean)

    def get_or_create_person(self, name: str) -> Person:
        """Return the person called ``name``, enrolling them first when needed."""
        clean = clean_name(name)
        with self._write() as conn:
            return self._get_or_create(conn, clean)

    def _get_or_create(self, conn: sqlite3.Connection, clean: str) -> Person:
        conn.execute(
            "INSERT INTO people(name, created_at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING",
            (clean, _now()),
        )
        return self._require(conn, clean)

    def add_samples(
        self,
        name: str,
        items: Sequence[tuple[np.ndarray, bytes | None, str | None]],
        create: bool = True,
    ) -> list[int]:
        """Store several samples of one person in one transaction.

        Parameters
        ----------
        name : str
            Display name of the person.
        items : sequence of (embedding, thumbnail, source)
            ``embedding`` is a finite 1-D float array (any length, L2-normalised here;
            all samples in the gallery must share one length); ``thumbnail`` JPEG bytes
            or None; ``source`` free text or None.
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
            the person.
        """
        clean = clean_name(name)
        if not items:
            return []
        with self._write() as conn:
            person = self._get_or_create(conn, clean) if create else self._require(conn, clean)
            row = conn.execute("SELECT dim FROM samples LIMIT 1").fetchone()
            gallery_dim = row[0] if row else None
            ids = []
            for embedding, thumb, source in items:
                blob, dim = _embedding_blob(embedding)
                gallery_dim = gallery_dim or dim
                if dim != gallery_dim:
                    raise ValueError(f"embedding has {dim} values, the gallery uses {gallery_dim}")
                if thumb is not None and not isinstance(thumb, (bytes, bytearray, memoryview)):
                    raise TypeError("a thumbnail must be JPEG bytes or None")
                if source is not None and not isinstance(source, str):
                    raise TypeError("a source must be a str or None")
                cur = conn.execute(
                    "INSERT INTO samples(person_id, embedding, dim, thumbnail, source, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (person.id, blob, dim, None if thumb is None else bytes(thumb), source, _now()),
                )
                ids.append(cast(int, cur.lastrowid))
            return ids

    def rename(self, old: str | int, new: str) -> Person:
        """Give a person a new display name; samples and id are kept.

        Raises
        ------
        KeyError
            When ``old`` is not enrolled.
        ValueError
            When ``new`` is invalid or another person already has it.
        """
        clean = clean_name(new)
        with self._write() as conn:
            person = self._require(conn, old)
            try:
                conn.execute("UPDATE people SET name = ? WHERE id = ?", (clean, person.id))
            except sqlite3.IntegrityError:
                raise ValueError(f"{clean!r} is already enrolled") from None
            return self._require(conn, person.id)

    def remove_person(self, name_or_id: str | int) -> None:
        """Delete a person together with all their samples.

        Raises
        ------
        KeyError
            When the person is not enrolled.
        """
        with self._write() as conn:
            conn.execute("DELETE FROM people WHERE id = ?", (self._require(conn, name_or_id).id,))

    def remove_sample(self, sample_id: int) -> None:
        """Delete one sample.  Removing a person's last sample keeps the person (0 samples).

        Raises
        ------
        KeyError
            When no sample has this id.
        """
        with self._write() as conn:
            if conn.execute("DELETE FROM samples WHERE id = ?", (int(sample_id),)).rowcount == 0:
                raise KeyError(f"no sample with id {sample_id}")

    def wipe(self) -> None:
        """Remove all biometric data: delete the database file and its journal side files.

        The store stays usable and starts again empty on the next call.  Other processes
        must not be using the file meanwhile.  The files are unlinked, not overwritten,
        so the disk blocks are freed but not scrubbed.

        Raises
        ------
        GalleryError
            When the file is not a faceapp gallery; it is then left in place.
        """
        with self._connect():
            pass
        for suffix in ("", *_SIDE_FILES):
            Path(f"{self._path}{suffix}").unlink(missing_ok=True)
        log.info("gallery %s wiped", self._path)

    # -- reads for the GUI's people list (kept apart from the methods above) -----------

    #: Most ``?`` parameters put in one statement (old SQLite builds allow 999).
    _MAX_SQL_VARIABLES = 500

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
        with self._connect() as conn:
            for start in range(0, len(ids), self._MAX_SQL_VARIABLES):
                chunk = ids[start : start + self._MAX_SQL_VARIABLES]
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
        with self._connect() as conn:
            cur = conn.execute(f"{self._PERSON_SQL} GROUP BY p.id")
            while rows := cur.fetchmany(rows_per_step):
                runs.append(sorted((Person(*r) for r in rows), key=key))
                pause()
        return list(heapq.merge(*runs, key=key))

    def index_in_steps(
        self, pause: Callable[[], None] = lambda: None, rows_per_step: int = 8192
    ) -> GalleryIndex:
        """Return the same snapshot as :meth:`index`, built in short steps.

        The samples are read and decoded ``rows_per_step`` at a time into one
        preallocated array, with ``pause()`` between steps (see :meth:`people_in_steps`);
        it is also a few times faster than :meth:`index` for large galleries.

        Raises
        ------
        GalleryError
            When a stored embedding's length disagrees with its dimension, or the
            samples do not share one dimension (damaged file).
        """
        with self._connect() as conn:
            conn.execute("BEGIN")  # one consistent view for the three reads
            names: dict[int, str] = {}
            cur = conn.execute("SELECT id, name FROM people")
            while rows := cur.fetchmany(rows_per_step):
                names.update(rows)
                pause()
            n, dim = conn.execute("SELECT count(*), max(dim) FROM samples").fetchone()
            if not n:
                conn.execute("COMMIT")
                return GalleryIndex.empty()
            owners_ids = np.empty(n, np.int64)
            embeddings = np.empty((n, dim), np.float32)
            cur = conn.execute(
                "SELECT person_id, embedding, dim FROM samples ORDER BY person_id, id"
            )
            done = 0
            while rows := cur.fetchmany(rows_per_step):
                if done + len(rows) > n or any(r[2] != dim or len(r[1]) != 4 * dim for r in rows):
                    raise GalleryError(f"{self._path}: damaged sample (dimension mismatch)")
                chunk = slice(done, done + len(rows))
                owners_ids[chunk] = [r[0] for r in rows]
                blob = b"".join([r[1] for r in rows])
                embeddings[chunk] = np.frombuffer(blob, "<f4").reshape(len(rows), dim)
                done += len(rows)
                pause()
            conn.execute("COMMIT")
        ids, owners = np.unique(owners_ids[:done], return_inverse=True)
        person_ids = tuple(int(i) for i in ids)
        return GalleryIndex(
            person_ids,
            tuple(names[i] for i in person_ids),
            l2_normalize(embeddings[:done]),
            owners.astype(np.int64),
        )
