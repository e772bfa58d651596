"""Writing outputs beside users' data: private (0600), whole or not at all, never via a link."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

#: The gallery file's name endings that hold its data: SQLite's journals beside it.
GALLERY_SIDE_FILES = ("", "-journal", "-wal", "-shm")


def is_gallery_file(path: Path, gallery: Path) -> bool:
    """Return True when ``path`` is ``gallery`` or one of its journals, by any name."""
    target = path.resolve()
    for base in (gallery.absolute(), gallery.resolve()):
        for suffix in GALLERY_SIDE_FILES:
            side = base.with_name(base.name + suffix)
            if target == side.resolve():
                return True
            if path.exists() and side.exists() and os.path.samefile(path, side):
                return True
    return False


@contextlib.contextmanager
def private_output(path: Path, keep_on_interrupt: bool = False) -> Iterator[Path]:
    """Yield a new, empty, private file beside ``path`` to write; at the end it becomes ``path``.

    The file is created in ``path``'s folder with mode 0600 (outputs name people and
    show their faces), never through a link.  When the block ends without an error it is
    renamed over ``path`` in one step: readers see the old file or the whole new one,
    and a link at ``path`` is replaced, not followed.  On an error the temporary file is
    removed and ``path`` is left as it was.  Check ``path`` first (the command line's
    ``checked_output``).

    Parameters
    ----------
    path : Path
        The output file.
    keep_on_interrupt : bool
        Also keep what was written when the block is interrupted (Ctrl-C): a camera
        recorded until the user stops it.  The interruption still propagates.
    """
    fd, name = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=f".part{path.suffix}", dir=path.parent
    )
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
    except KeyboardInterrupt:
        if keep_on_interrupt:
            _replace(tmp, path)
        else:
            tmp.unlink(missing_ok=True)
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _replace(tmp, path)


def _replace(tmp: Path, path: Path) -> None:
    """Make ``tmp`` private and rename it over ``path`` (removing ``tmp`` when that fails)."""
    try:
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def open_private(path: Path) -> Iterator[TextIO]:
    """Open ``path`` for writing UTF-8 text, as :func:`private_output` does (0600, atomic).

    The stream is written to disk (``fsync``) before it replaces ``path``; on an error
    ``path`` is left as it was.  Open it with ``newline=""`` semantics (CSV).
    """
    with private_output(path) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
