"""Permissions of the gallery's files: 0600 files, a 0700 data folder, looser ones tightened."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from faceapp import paths

log = logging.getLogger(__name__)

#: Permissions of the gallery file, its backup, and of the folder faceapp creates for it.
FILE_MODE = 0o600
FOLDER_MODE = 0o700


def is_data_folder(folder: Path) -> bool:
    """Tell whether ``folder`` is faceapp's own data folder (the default gallery's)."""
    try:
        return folder.resolve() == paths.user_data_path().resolve()
    except OSError:
        return False


def tighten(path: Path, mode: int, what: str) -> None:
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
