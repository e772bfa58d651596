"""GalleryWatch: notices, cheaply, that a gallery file was changed or replaced by someone else."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from pathlib import Path

log = logging.getLogger(__name__)

#: Seconds between two polls of a watch by the window's gallery thread.
POLL_INTERVAL_S = 0.5


def file_identity(path: str | Path) -> tuple[int, int] | None:
    """Return ``(device, inode)`` of the regular file at ``path`` (links followed), or None.

    None when there is no such file, or it is not a regular file.
    """
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return st.st_dev, st.st_ino


class GalleryWatch:
    """Tells whether a gallery file changed since the last :meth:`poll`, without reading rows.

    Two signs of a change are watched:

    - ``PRAGMA data_version`` on a read-only SQLite connection the watch keeps open.
      SQLite changes it whenever *another* connection commits to the file, whether of
      another process or of this one (every :class:`~faceapp.storage.gallery.GalleryStore`
      call opens its own connection, so the caller's own writes count too).
    - The file's identity (device and inode) and existence.  ``gallery wipe`` deletes
      the file and the next write creates a new one, which a connection open on the old
      file would never see; a file replaced by a rename is caught the same way.

    A poll costs one ``stat`` and one pragma (microseconds).  It tells *that* something
    was committed, history events included; compare
    :meth:`~faceapp.storage.gallery.GalleryStore.revision` to know whether the people
    and their samples changed.

    Parameters
    ----------
    path : str or Path
        The gallery file; it need not exist yet.

    Notes
    -----
    Use a watch from one thread at a time.  It opens the file only through SQLite (read
    only, never creating it), so the POSIX locks SQLite holds for the process are safe.
    While it is open on a file that was deleted, the old file's disk space stays in use
    until the next poll, which closes it.
    """

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self._identity: tuple[int, int] | None = None
        self._version: int | None = None
        self._started = False

    @property
    def path(self) -> Path:
        """The gallery file watched."""
        return self._path

    def poll(self) -> bool:
        """Return True when the file was committed to, made, deleted or replaced since last asked.

        The first poll only takes note of the file as it is, and returns False.  Never
        raises for a file that is missing, unreadable or not a database: that is a
        change when it was not so at the previous poll.
        """
        identity = file_identity(self._path)
        if not self._started or identity != self._identity:
            first = not self._started
            self._started = True
            self._reopen(identity)
            return not first
        version = self._data_version()
        if version != self._version:
            self._version = version
            return True
        return False

    def close(self) -> None:
        """Close the watch's connection (a later :meth:`poll` starts afresh, returning False)."""
        if self._conn is not None:
            self._conn.close()
        self._conn, self._identity, self._version, self._started = None, None, None, False

    def _reopen(self, identity: tuple[int, int] | None) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn, self._identity, self._version = None, identity, None
        if identity is None:
            return
        try:
            uri = f"{self._path.absolute().as_uri()}?mode=ro"
            self._conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        except sqlite3.Error as exc:
            log.debug("cannot watch %s: %s", self._path, exc)
            return
        self._version = self._data_version()

    def _data_version(self) -> int | None:
        if self._conn is None:
            return None
        try:
            return int(self._conn.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error as exc:
            log.debug("cannot read the data version of %s: %s", self._path, exc)
            return None
