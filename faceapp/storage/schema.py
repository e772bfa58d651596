"""The gallery's tables, their migrations, and the values read from them."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from faceapp.core.quality import QualityFigures
from faceapp.storage.names import MAX_NAME_LENGTH

#: ``PRAGMA application_id`` of a faceapp gallery: the ASCII bytes "FACE" (0x46414345),
#: stored at offset 68 of the file header.  Galleries written before the id existed
#: (schema 1) are recognised by their tables and stamped by the migration to schema 2.
APPLICATION_ID = 0x46414345

#: The tables and columns of a schema-1 gallery, which had no application id.
V1_COLUMNS = {
    "meta": ("key", "value"),
    "people": ("id", "name", "created_at"),
    "samples": ("id", "person_id", "embedding", "dim", "thumbnail", "source", "created_at"),
}


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


def _migrate_v2(conn: sqlite3.Connection) -> None:
    # Transactional: the header change commits or rolls back with the rest.
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def _migrate_v3(conn: sqlite3.Connection) -> None:
    # The recognition history (faceapp.storage.history owns its rows); an event of a
    # person goes with them when they are removed.
    conn.execute(
        "CREATE TABLE history(id INTEGER PRIMARY KEY, at REAL NOT NULL,"
        " mode TEXT NOT NULL, decision TEXT NOT NULL,"
        " person_id INTEGER REFERENCES people(id) ON DELETE CASCADE,"
        " distance REAL, threshold REAL NOT NULL, source TEXT, position REAL, crop BLOB)"
    )
    conn.execute("CREATE INDEX history_at ON history(at)")
    conn.execute("CREATE INDEX history_person ON history(person_id)")


def _migrate_v4(conn: sqlite3.Connection) -> None:
    # The enrolment quality figures of a sample as a small JSON object
    # (faceapp.storage.samples reads and writes it); NULL for samples stored before.
    conn.execute("ALTER TABLE samples ADD COLUMN quality TEXT")


def _migrate_v5(conn: sqlite3.Connection) -> None:
    # Unknown faces kept as faces (faceapp.storage.history.faces): an unknown event's
    # embedding (float32 BLOB), its quality figures (JSON) and the group the user put it
    # in (NULL: grouped automatically).
    conn.execute("ALTER TABLE history ADD COLUMN embedding BLOB")
    conn.execute("ALTER TABLE history ADD COLUMN quality TEXT")
    conn.execute("ALTER TABLE history ADD COLUMN face_group INTEGER")


def _migrate_v6(conn: sqlite3.Connection) -> None:
    # "Not X" corrections (GalleryStore.add_negative): faces a user said are not the
    # person, kept as that person's negative examples; removed with the person.
    conn.execute(
        "CREATE TABLE negatives(id INTEGER PRIMARY KEY,"
        " person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
        " embedding BLOB NOT NULL, dim INTEGER NOT NULL"
        " CHECK (dim > 0 AND length(embedding) = 4 * dim),"
        " crop BLOB, source TEXT, created_at TEXT)"
    )
    conn.execute("CREATE INDEX negatives_person ON negatives(person_id)")


#: Schema migrations; entry ``k`` upgrades ``PRAGMA user_version`` from ``k`` to ``k + 1``.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _migrate_v1,
    _migrate_v2,
    _migrate_v3,
    _migrate_v4,
    _migrate_v5,
    _migrate_v6,
]
SCHEMA_VERSION = len(MIGRATIONS)
#: The schema version that added the ``negatives`` table ("not X" corrections).
NEGATIVES_SCHEMA = 6


def empty_gallery() -> sqlite3.Connection:
    """Return an in-memory empty gallery: what reads see while no file exists."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    for step in MIGRATIONS:
        step(conn)
    conn.execute("UPDATE meta SET value = 0 WHERE key = 'revision'")
    return conn


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
    quality : QualityFigures or None
        The enrolment quality figures measured on the face when it was stored
        (:func:`faceapp.core.quality.assess_face`); None when they were not recorded
        (samples stored before schema 4, or written without them).
    """

    id: int
    person_id: int
    dim: int
    source: str | None
    created_at: str
    thumbnail: bytes | None = field(repr=False)
    embedding: np.ndarray = field(repr=False, compare=False)
    quality: QualityFigures | None = None


@dataclass(frozen=True)
class Negative:
    """A "not X" correction: a face a user said is not the person.

    Parameters
    ----------
    id : int
        Negative id.
    person_id : int
        Gallery id of the person the face is *not*.
    dim : int
        Embedding dimension.
    source : str or None
        Where the face came from (file name, "camera", ...).
    created_at : str
        Time of the correction, ISO 8601 in UTC.
    crop : bytes or None
        JPEG bytes of the face, when one was stored.
    embedding : ndarray, shape (dim,), float32
        The stored L2-normalised embedding; read-only.
    """

    id: int
    person_id: int
    dim: int
    source: str | None
    created_at: str
    crop: bytes | None = field(repr=False)
    embedding: np.ndarray = field(repr=False, compare=False)
