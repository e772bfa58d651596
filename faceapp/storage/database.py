"""GalleryFile: one SQLite file opened safely: creation, checks, locks, backups, permissions."""

from __future__ import annotations

import errno
import logging
import os
import secrets
import sqlite3
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TypeVar, cast

from faceapp.storage.permissions import FILE_MODE, FOLDER_MODE, is_data_folder, tighten
from faceapp.storage.schema import (
    APPLICATION_ID,
    MIGRATIONS,
    SCHEMA_VERSION,
    V1_COLUMNS,
    GalleryError,
    empty_gallery,
)

log = logging.getLogger(__name__)

#: Seconds a call waits for another thread or process holding the write lock.
LOCK_TIMEOUT_S = 10.0
#: Most ``?`` parameters put in one statement (old SQLite builds allow 999).
MAX_SQL_VARIABLES = 500


def id_chunks(ids: list[int], size: int = MAX_SQL_VARIABLES) -> Iterator[list[int]]:
    """Yield ``ids`` in slices small enough for SQLite's limit on parameters.

    Parameters
    ----------
    ids : list of int
        The ids of one ``IN (...)`` query, in the order wanted.
    size : int
        Most ids per slice.
    """
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


#: Appended to the gallery's file name for the backup copy made before a schema
#: migration and before ``wipe()``; one copy, replaced by the next backup.
BACKUP_SUFFIX = ".bak"

_SIDE_FILES = ("-journal", "-wal", "-shm")
#: Attempts of one write when the file is created or wiped by someone else meanwhile.
_WRITE_ATTEMPTS = 5

_T = TypeVar("_T")


class GalleryFile:
    """The file under a gallery: how it is opened, created, checked, locked, backed up, wiped.

    :class:`~faceapp.storage.gallery.GalleryStore` builds its queries on this class; its
    docstring states the guarantees.

    Parameters
    ----------
    path : str or Path
        Database file; nothing is created until the first write.

    Raises
    ------
    GalleryError
        As :class:`~faceapp.storage.gallery.GalleryStore`.
    """

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        self._private_folder = is_data_folder(self._path.parent)
        with self.read_transaction(check=True):
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
            tighten(self._path.parent, FOLDER_MODE, "data folder")
        for p in (self._path, self.backup_path, *(Path(f"{self._path}{s}") for s in _SIDE_FILES)):
            tighten(p, FILE_MODE, "gallery file")

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
                    for step in MIGRATIONS:
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
        for table, columns in V1_COLUMNS.items():
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

    # The two ways the storage modules (gallery, history, archive) reach the file: every
    # query runs inside one of these; nothing else opens a connection.

    @contextmanager
    def read_transaction(self, check: bool = False) -> Iterator[sqlite3.Connection]:
        """Yield a connection inside one read transaction (a consistent snapshot).

        With no file yet, or an empty SQLite database, the connection is to an empty
        in-memory gallery whose revision is 0.  The connection is closed on leaving.

        Parameters
        ----------
        check : bool
            Run ``PRAGMA quick_check`` first.

        Raises
        ------
        GalleryError
            When the file is not a gallery, is newer or damaged, or cannot be read.
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
                conn = empty_gallery()
            try:
                yield conn
            finally:
                conn.close()
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        except OSError as exc:
            raise self._os_error(exc) from exc

    def write_transaction(
        self, body: Callable[[sqlite3.Connection], _T], content: bool = True
    ) -> _T:
        """Run ``body`` in one checked write transaction and return what it returns.

        Creates the gallery when there is none (only if ``body`` succeeds), migrates an
        older schema after backing it up, and runs again when the file was created or
        wiped by someone else meanwhile.  An exception from ``body`` rolls back all of it.

        Parameters
        ----------
        body : callable
            Takes the connection; may run more than once, so it must not keep state.
        content : bool
            With False (history, settings) the write leaves ``revision()`` as it is:
            the people and samples did not change.

        Raises
        ------
        GalleryError
            When the file is not a gallery, is newer or damaged, or cannot be written;
            and whatever ``body`` raises.
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
        for step in MIGRATIONS[version:]:
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
