"""GalleryStore: the enrolled people and their face samples in one SQLite file."""

from __future__ import annotations

import errno
import logging
import os
import secrets
import sqlite3
import stat
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TypeVar, cast

import numpy as np

from faceapp import paths
from faceapp.core.matching import GalleryIndex, l2_normalize

log = logging.getLogger(__name__)

#: Longest display name accepted, in Unicode code points (after stripping).
MAX_NAME_LENGTH = 100

#: Seconds a call waits for another thread or process holding the write lock.
LOCK_TIMEOUT_S = 10.0

#: ``PRAGMA application_id`` of a faceapp gallery: the ASCII bytes "FACE" (0x46414345),
#: stored at offset 68 of the file header.  Galleries written before the id existed
#: (schema 1) are recognised by their tables and stamped by the migration to schema 2.
APPLICATION_ID = 0x46414345

#: Appended to the gallery's file name for the backup copy made before a schema
#: migration and before ``wipe()``; one copy, replaced by the next backup.
BACKUP_SUFFIX = ".bak"

#: Permissions of the gallery file, its backup, and of the folder faceapp creates for it.
FILE_MODE = 0o600
FOLDER_MODE = 0o700

_SIDE_FILES = ("-journal", "-wal", "-shm")
_V1_COLUMNS = {
    "meta": ("key", "value"),
    "people": ("id", "name", "created_at"),
    "samples": ("id", "person_id", "embedding", "dim", "thumbnail", "source", "created_at"),
}
#: Arabic letter mark, LRM/RLM, the embeddings and overrides, and the isolates.
_DIRECTION_CONTROLS = frozenset(
    [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)
#: Attempts of one write when the file is created or wiped by someone else meanwhile.
_WRITE_ATTEMPTS = 5

_T = TypeVar("_T")


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


#: Schema migrations; entry ``k`` upgrades ``PRAGMA user_version`` from ``k`` to ``k + 1``.
_MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_migrate_v1, _migrate_v2, _migrate_v3]
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


def _name_key(name: str) -> str:
    """Return the form a name is stored and looked up in: Unicode NFC, outer whitespace off."""
    return unicodedata.normalize("NFC", name).strip()


def _name_problem(char: str) -> str | None:
    """Say why ``char`` may not appear in a name, or return None when it may."""
    category = unicodedata.category(char)
    if ord(char) in _DIRECTION_CONTROLS:
        return "a text-direction control"
    if category == "Cc":
        return "a control character"
    if category == "Cf":
        return "an invisible formatting character"
    if category == "Cs":
        return "an undecodable character (check the terminal's text encoding)"
    if category in ("Zl", "Zp"):
        return "a line or paragraph separator"
    return None


def normalise_name(name: str) -> str:
    """Return ``name`` as faceapp stores, looks up and shows it, or say why it is refused.

    The name is put in Unicode NFC (so a decomposed "José" and a composed one are the
    same name) and surrounding whitespace is stripped.  Refused are names that are
    empty, longer than ``MAX_NAME_LENGTH`` code points, or hold a character a reader
    cannot see or that changes how the text around it is shown: control characters,
    text-direction controls (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to
    U+2069), zero-width and other invisible formatting characters (Unicode category
    Cf, which includes the zero-width joiners some scripts and emoji sequences use),
    line and paragraph separators, and unpaired surrogates.  Every name the store
    writes goes through this function, and every name it looks up through the same
    normalisation, so the command line and the GUI agree on what a name is.

    Parameters
    ----------
    name : str
        The name as typed.

    Returns
    -------
    str
        The normalised name.

    Raises
    ------
    TypeError
        When ``name`` is not a string.
    ValueError
        With a one-line message naming the offending character (code point, Unicode
        name, position) when the name is refused.
    """
    if not isinstance(name, str):
        raise TypeError(f"a name must be a str, not {type(name).__name__}")
    clean = _name_key(name)
    if not clean:
        raise ValueError("a name must not be empty")
    for position, char in enumerate(clean, start=1):
        problem = _name_problem(char)
        if problem is not None:
            label = " ".join(f"U+{ord(char):04X} {unicodedata.name(char, '')}".split())
            raise ValueError(f"a name must not contain {problem} ({label} at position {position})")
    if len(clean) > MAX_NAME_LENGTH:
        raise ValueError(f"a name must be at most {MAX_NAME_LENGTH} characters long")
    return clean


#: The former name of ``normalise_name``, kept for the callers that still use it.
clean_name = normalise_name


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


def _empty_gallery() -> sqlite3.Connection:
    """Return an in-memory empty gallery: what reads see while no file exists."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    for step in _MIGRATIONS:
        step(conn)
    conn.execute("UPDATE meta SET value = 0 WHERE key = 'revision'")
    return conn


def _is_data_folder(folder: Path) -> bool:
    """Tell whether ``folder`` is faceapp's own data folder (the default gallery's)."""
    try:
        return folder.resolve() == paths.user_data_path().resolve()
    except OSError:
        return False


def _tighten(path: Path, mode: int, what: str) -> None:
    """Take group and other permissions off ``path`` when it has any; warn when it did."""
    try:
        st = path.stat()
    except OSError:  # missing, or not ours to look at: nothing to tighten
        return
    if not st.st_mode & 0o077:
        return
    if stat.S_ISDIR(st.st_mode) and st.st_mode & stat.S_ISVTX:
        log.warning(
            "%s %s is a shared folder (mode %04o); left as it is", what, path, st.st_mode & 0o7777
        )
        return
    try:
        os.chmod(path, mode)
    except OSError as exc:
        log.warning(
            "%s %s can be read by other users (mode %04o) and cannot be changed: %s",
            what,
            path,
            st.st_mode & 0o777,
            exc.strerror or exc,
        )
        return
    log.warning(
        "%s %s could be read by other users (mode %04o); changed to %04o",
        what,
        path,
        st.st_mode & 0o777,
        mode,
    )


class GalleryStore:
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
    """

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        self._private_folder = _is_data_folder(self._path.parent)
        with self._read(check=True):
            pass
        self._protect()

    @property
    def path(self) -> Path:
        """The database file."""
        return self._path

    @property
    def backup_path(self) -> Path:
        """Where the backup copy is kept: the file name with ``BACKUP_SUFFIX`` appended."""
        return Path(f"{self._path}{BACKUP_SUFFIX}")

    # -- files -------------------------------------------------------------------------

    def _protect(self) -> None:
        """Make the gallery and its backup 0600, and faceapp's data folder 0700."""
        if self._private_folder:
            _tighten(self._path.parent, FOLDER_MODE, "data folder")
        for p in (self._path, self.backup_path, *(Path(f"{self._path}{s}") for s in _SIDE_FILES)):
            _tighten(p, FILE_MODE, "gallery file")

    def _blocking_file(self) -> Path:
        """Return the first ancestor of the path that exists but is not a folder."""
        for parent in reversed(self._path.parents):
            if parent.exists() and not parent.is_dir():
                return parent
        return self._path.parent

    def _uri(self, mode: str) -> str:
        return f"{self._path.absolute().as_uri()}?mode={mode}"

    def _open_existing(self) -> sqlite3.Connection | None:
        """Connect to the existing file (never creating it); None when there is none."""
        try:
            st = os.stat(self._path)
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            raise GalleryError(
                f"{self._path}: cannot be a gallery,"
                f" {self._blocking_file()} is a file, not a folder"
            ) from None
        if stat.S_ISDIR(st.st_mode):
            raise GalleryError(f"{self._path}: is a folder; give the path of a gallery file")
        if not stat.S_ISREG(st.st_mode):
            raise GalleryError(f"{self._path}: not a regular file; left untouched")
        if st.st_size == 0:
            raise GalleryError(
                f"{self._path}: an empty (0-byte) file, not a faceapp gallery; left untouched"
                " (delete it, or give a path that does not exist yet, to start a new gallery)"
            )
        try:
            conn = sqlite3.connect(
                self._uri("rw"), uri=True, timeout=LOCK_TIMEOUT_S, isolation_level=None
            )
        except sqlite3.OperationalError:
            if not self._path.exists():  # wiped meanwhile
                return None
            raise
        self._setup(conn)
        return conn

    @staticmethod
    def _setup(conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("PRAGMA foreign_keys = ON")

    def _backup(self) -> Path:
        """Copy the gallery to ``backup_path`` (0600) through SQLite, replacing older copies.

        Called with the caller's write lock held: the copy reads through a second
        connection, which SQLite lets share the lock state of this process.
        """
        bak = self.backup_path
        tmp = bak.with_name(f".{bak.name}.{os.getpid()}-{secrets.token_hex(4)}.new")
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
        try:
            src = sqlite3.connect(self._uri("ro"), uri=True, timeout=LOCK_TIMEOUT_S)
            try:
                dst = sqlite3.connect(tmp)
                try:
                    src.backup(dst)
                finally:
                    dst.close()
            finally:
                src.close()
            os.replace(tmp, bak)
        finally:
            for suffix in ("", *_SIDE_FILES):
                Path(f"{tmp}{suffix}").unlink(missing_ok=True)
        log.info("gallery %s backed up to %s", self._path, bak)
        return bak

    def _make_folders(self) -> list[Path]:
        """Create the missing folders above the file (mode 0700); return those made."""
        missing = []
        folder = self._path.parent
        while not folder.exists() and folder != folder.parent:
            missing.append(folder)
            folder = folder.parent
        made = []
        for folder in reversed(missing):
            try:
                folder.mkdir(mode=FOLDER_MODE)
            except FileExistsError:
                continue
            made.append(folder)
        return made

    def _create(self, body: Callable[[sqlite3.Connection], _T]) -> tuple[bool, _T | None]:
        """Build a new gallery holding ``body``'s write and link it in at the path.

        Returns (False, None) when another thread or process created the file first;
        nothing is left behind then, nor when ``body`` raises.
        """
        made = self._make_folders()
        tmp = self._path.with_name(f".{self._path.name}.{os.getpid()}-{secrets.token_hex(4)}.new")
        linked = False
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
            conn = sqlite3.connect(tmp, timeout=LOCK_TIMEOUT_S, isolation_level=None)
            try:
                self._setup(conn)
                with self._transaction(conn):
                    for step in _MIGRATIONS:
                        step(conn)
                    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                    result = body(conn)
            finally:
                conn.close()
            try:
                os.link(tmp, self._path)
            except FileExistsError:
                return False, None
            except OSError as exc:  # a file system without hard links
                if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP):
                    raise
                if self._path.exists():
                    return False, None
                os.replace(tmp, self._path)
            linked = True
        finally:
            for suffix in ("", *_SIDE_FILES):
                Path(f"{tmp}{suffix}").unlink(missing_ok=True)
            if not linked:
                for folder in reversed(made):
                    try:
                        folder.rmdir()
                    except OSError:
                        break
        log.info("gallery %s created", self._path)
        self._protect()
        return True, result

    # -- checks ------------------------------------------------------------------------

    def _identify(self, conn: sqlite3.Connection) -> int:
        """Return the schema version of the open file; 0 for an empty SQLite database.

        Raises GalleryError for another program's database or a newer schema.
        """
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if app_id == APPLICATION_ID:
            if version > SCHEMA_VERSION:
                raise GalleryError(
                    f"{self._path}: gallery schema version {version} is newer than this"
                    f" faceapp understands ({SCHEMA_VERSION}); left untouched"
                )
            return int(version)
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite%' ORDER BY name"
            )
        ]
        if app_id == 0 and version == 0 and not tables:
            return 0
        if app_id == 0 and version == 1 and self._has_v1_tables(conn):
            return 1  # a gallery from before APPLICATION_ID; stamped by its next write
        facts = [f"application_id {app_id & 0xFFFFFFFF:#010x}"] if app_id else []
        facts.append(f"user_version {version}")
        if tables:
            more = ", ..." if len(tables) > 5 else ""
            facts.append(f"tables: {', '.join(tables[:5])}{more}")
        raise GalleryError(
            f"{self._path}: a SQLite database of another program ({'; '.join(facts)});"
            " left untouched"
        )

    @staticmethod
    def _has_v1_tables(conn: sqlite3.Connection) -> bool:
        for table, columns in _V1_COLUMNS.items():
            found = tuple(r[1] for r in conn.execute(f"PRAGMA table_info({table})"))
            if found != columns:
                return False
        return True

    def _check(self, conn: sqlite3.Connection) -> None:
        """Raise GalleryError when ``PRAGMA quick_check`` finds damage."""
        rows = conn.execute("PRAGMA quick_check").fetchall()
        if rows != [("ok",)]:
            lines = (ln for r in rows for ln in str(r[0]).splitlines())
            raise GalleryError(self._damaged(next((ln for ln in lines if ln[:3] != "***"), "")))

    def _damaged(self, detail: str) -> str:
        bak = self.backup_path
        try:
            made = datetime.fromtimestamp(bak.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
            todo = f"restore the backup {bak} (made {made}) over it, or delete it"
        except OSError:
            todo = "restore it from a backup of your own, or delete it to start an empty gallery"
        detail = " ".join(detail.split())[:120] or "quick_check failed"
        return f"{self._path}: the gallery file is damaged ({detail}); nothing was changed: {todo}"

    def _error(self, exc: sqlite3.Error) -> GalleryError:
        """Turn a SQLite error into a one-line GalleryError naming the file."""
        name = getattr(exc, "sqlite_errorname", "") or ""
        if name.startswith("SQLITE_NOTADB"):
            return GalleryError(f"{self._path}: not a SQLite database; left untouched")
        if name.startswith("SQLITE_CORRUPT"):
            return GalleryError(self._damaged(str(exc)))
        if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            return GalleryError(
                f"{self._path}: in use by another program for more than"
                f" {LOCK_TIMEOUT_S:g} s; try again"
            )
        return GalleryError(f"{self._path}: {exc}")

    def _os_error(self, exc: OSError) -> GalleryError:
        where = exc.filename if exc.filename is not None else self._path
        return GalleryError(f"{self._path}: {exc.strerror or exc} ({where})")

    # -- connections -------------------------------------------------------------------

    @contextmanager
    def _read(self, check: bool = False) -> Iterator[sqlite3.Connection]:
        """Yield a connection inside one read transaction (a consistent snapshot).

        With no file yet, or an empty SQLite database, the connection is to an empty
        in-memory gallery whose revision is 0.  ``check`` runs ``quick_check`` first.
        """
        try:
            conn = self._open_existing()
            if conn is not None:
                try:
                    conn.execute("BEGIN")
                    if self._identify(conn) == 0:
                        conn.close()
                        conn = None
                    elif check:
                        self._check(conn)
                except BaseException:
                    if conn is not None:
                        conn.close()
                    raise
            if conn is None:
                conn = _empty_gallery()
            try:
                yield conn
            finally:
                conn.close()
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        except OSError as exc:
            raise self._os_error(exc) from exc

    def _write(self, body: Callable[[sqlite3.Connection], _T], content: bool = True) -> _T:
        """Run ``body`` in one checked write transaction and return what it returns.

        Creates the gallery when there is none (only if ``body`` succeeds), migrates an
        older schema after backing it up, and runs again when the file was created or
        wiped by someone else meanwhile.  With ``content=False`` (history, settings) the
        write leaves ``revision()`` as it is: the people and samples did not change.
        """
        for _ in range(_WRITE_ATTEMPTS):
            try:
                conn = self._open_existing()
                if conn is None:
                    created, result = self._create(body)
                    if created:
                        return cast(_T, result)
                    continue
                try:
                    with self._transaction(conn, content):
                        version = self._identify(conn)
                        self._check(conn)
                        if version < SCHEMA_VERSION:
                            self._upgrade(conn, version)
                        return body(conn)
                finally:
                    conn.close()
            except sqlite3.Error as exc:
                if getattr(exc, "sqlite_errorname", "") == "SQLITE_READONLY_DBMOVED":
                    continue  # wiped while we waited for the lock: write to the new file
                raise self._error(exc) from exc
            except OSError as exc:
                raise self._os_error(exc) from exc
        raise GalleryError(f"{self._path}: the file kept being replaced while writing; try again")

    def _upgrade(self, conn: sqlite3.Connection, version: int) -> None:
        """Migrate from ``version`` inside the caller's write transaction."""
        bak = self._backup() if version >= 1 else None
        for step in _MIGRATIONS[version:]:
            step(conn)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        log.info(
            "gallery %s migrated from schema %d to %d (backup: %s)",
            self._path,
            version,
            SCHEMA_VERSION,
            bak,
        )

    @staticmethod
    @contextmanager
    def _transaction(conn: sqlite3.Connection, content: bool = True) -> Iterator[None]:
        """Run the body in one write transaction; bump the revision when rows changed."""
        conn.execute("BEGIN IMMEDIATE")
        before = conn.total_changes
        try:
            yield
            if content and conn.total_changes != before:
                conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'revision'")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

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
            where, key = "p.name = ?", _name_key(str(name_or_id))
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
        with self._read() as conn:
            return self._person(conn, name_or_id)

    def people(self) -> list[Person]:
        """Return everybody enrolled, sorted by name ignoring case, with sample counts.

        Raises
        ------
        GalleryError
            When ``PRAGMA quick_check`` finds the file damaged.
        """
        with self._read(check=True) as conn:
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
        with self._read() as conn:
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
        with self._read() as conn:
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
        with self._read() as conn:
            rows = conn.execute(
                "SELECT p.id, p.name, s.embedding, s.dim FROM samples s"
                " JOIN people p ON p.id = s.person_id ORDER BY p.id, s.id"
            ).fetchall()
        return GalleryIndex.from_samples([(r[0], r[1], self._decode(r[2], r[3])) for r in rows])

    def revision(self) -> int:
        """Return a number that changes with every committed write, from any process.

        Compare it with a remembered value to know whether an ``index()`` snapshot is
        stale.  It is 0 while there is no gallery file (nothing enrolled), grows by one
        per write, and starts from the clock (in microseconds) when the file is created,
        so it does not repeat an old value with other contents after ``wipe()``.
        """
        with self._read() as conn:
            return int(conn.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()[0])

    # -- writes ------------------------------------------------------------------------

    def add_person(self, name: str) -> Person:
        """Enrol a person with no samples yet.

        Raises
        ------
        ValueError
            When the name is invalid (see ``normalise_name``) or already enrolled.
        """
        clean = normalise_name(name)

        def body(conn: sqlite3.Connection) -> Person:
            try:
                conn.execute("INSERT INTO people(name, created_at) VALUES (?, ?)", (clean, _now()))
            except sqlite3.IntegrityError:
                raise ValueError(f"{clean!r} is already enrolled") from None
            return self._require(conn, clean)

        return self._write(body)

    def get_or_create_person(self, name: str) -> Person:
        """Return the person called ``name``, enrolling them first when needed."""
        clean = normalise_name(name)
        return self._write(lambda conn: self._get_or_create(conn, clean))

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
            Display name of the person (see ``normalise_name``).
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

        return self._write(body)

    def rename(self, old: str | int, new: str) -> Person:
        """Give a person a new display name; samples and id are kept.

        ``old`` is looked up like ``find_person`` (so a name stored before the rules of
        ``normalise_name`` can still be renamed to a valid one); ``new`` must pass them.

        Raises
        ------
        KeyError
            When ``old`` is not enrolled.
        ValueError
            When ``new`` is invalid or another person already has it.
        """
        clean = normalise_name(new)

        def body(conn: sqlite3.Connection) -> Person:
            person = self._require(conn, old)
            try:
                conn.execute("UPDATE people SET name = ? WHERE id = ?", (clean, person.id))
            except sqlite3.IntegrityError:
                raise ValueError(f"{clean!r} is already enrolled") from None
            return self._require(conn, person.id)

        return self._write(body)

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

        return self._write(body)

    def remove_sample(self, sample_id: int) -> None:
        """Delete one sample.  Removing a person's last sample keeps the person (0 samples).

        Raises
        ------
        KeyError
            When no sample has this id.
        """

        def body(conn: sqlite3.Connection) -> None:
            if conn.execute("DELETE FROM samples WHERE id = ?", (int(sample_id),)).rowcount == 0:
                raise KeyError(f"no sample with id {sample_id}")

        self._write(body)

    def wipe(self, backup: bool = True) -> Path | None:
        """Remove all biometric data: delete the database file and its journal side files.

        The store stays usable and starts again empty (revision 0) on the next call;
        the next write creates a new file.  Runs under the write lock: a write of another
        thread or process that was waiting for it goes to a new file instead.  The files
        are unlinked, not overwritten, so the disk blocks are freed but not scrubbed.

        Parameters
        ----------
        backup : bool
            Keep a copy at ``backup_path`` first (mode 0600; it holds every face that
            was enrolled).  With False no copy is made and an existing one is deleted
            too.

        Returns
        -------
        Path or None
            The backup copy, or None when none was made or there was no gallery.

        Raises
        ------
        GalleryError
            When the file is not recognisably a faceapp gallery (its application id, or
            the tables of a schema-1 gallery), is newer, or is damaged; nothing is
            deleted then.
        """
        bak = None
        try:
            conn = self._open_existing()
            if conn is not None:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    if self._identify(conn) == 0:
                        raise GalleryError(
                            f"{self._path}: an empty SQLite database, not a faceapp gallery;"
                            " left untouched"
                        )
                    self._check(conn)
                    if backup:
                        bak = self._backup()
                    for suffix in ("", *_SIDE_FILES):
                        Path(f"{self._path}{suffix}").unlink(missing_ok=True)
                finally:
                    conn.close()
                log.info("gallery %s wiped", self._path)
            if not backup:
                self.backup_path.unlink(missing_ok=True)
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        except OSError as exc:
            raise self._os_error(exc) from exc
        return bak
