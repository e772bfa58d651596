"""Where faceapp finds its resources and weights (source tree or frozen app) and keeps user data."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

from platformdirs import user_cache_dir, user_data_dir

APP_NAME = "faceapp"

#: File name of the FaceNet weights inside the weights directory.
FACENET_WEIGHTS = "facenet_keras.h5"

#: Folder (inside the weights directory) holding the 5-celebrity photos used by the
#: demo source and the tests: ``<this>/{train,val}/<person>/*.jpg``.
CELEBRITY_DIR = "5-celebrity-faces"


def _install_root() -> Path:
    """Return the folder that holds ``resources/`` and ``weights/``."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root)
    return Path(__file__).resolve().parent.parent


def install_root() -> Path:
    """Return the folder holding ``resources/`` and ``weights/``.

    In the packaged app that is its read-only ``_internal/`` folder; nothing is ever
    written there.  Otherwise it is the source tree.
    """
    return _install_root()


def is_frozen() -> bool:
    """Return True inside the packaged (PyInstaller) app."""
    return bool(getattr(sys, "frozen", False))


def missing_files_advice() -> str:
    """Return what a user can do when the weights or the demo photos are missing.

    In a source tree (or a pip install) ``faceapp weights fetch`` downloads them.  The
    packaged app ships them inside itself and that command cannot add anything, so
    there the advice is to unpack the app again.
    """
    if is_frozen():
        return "this copy of faceapp is incomplete: download and unpack it again"
    return "run 'faceapp weights fetch'"


def resources_dir() -> Path:
    """Return the folder of icons, style sheets and other static files."""
    return _install_root() / "resources"


def weights_dir() -> Path:
    """Return the weights folder; ``FACEAPP_WEIGHTS_DIR`` overrides it."""
    override = os.environ.get("FACEAPP_WEIGHTS_DIR")
    return Path(override) if override else _install_root() / "weights"


def facenet_weights_path() -> Path:
    """Return the path of the FaceNet ``.h5`` weights (it may not exist yet)."""
    return weights_dir() / FACENET_WEIGHTS


def celebrity_dir() -> Path:
    """Return the folder of the 5-celebrity sample photos (it may not exist yet)."""
    return weights_dir() / CELEBRITY_DIR


def user_data_path() -> Path:
    """Return the per-user data folder; ``FACEAPP_DATA_DIR`` overrides it."""
    override = os.environ.get("FACEAPP_DATA_DIR")
    return Path(override) if override else Path(user_data_dir(APP_NAME, appauthor=False))


def user_cache_path() -> Path:
    """Return the per-user cache folder (converted models); ``FACEAPP_CACHE_DIR`` overrides it.

    Whatever lies here can be deleted at any time; faceapp makes it again.
    """
    override = os.environ.get("FACEAPP_CACHE_DIR")
    return Path(override) if override else Path(user_cache_dir(APP_NAME, appauthor=False))


def sha256_of(path: Path) -> str:
    """Return the hex SHA-256 of a file, read in 1 MiB blocks.

    Raises
    ------
    OSError
        When the file cannot be read.
    """
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def pinned_hashes(folder: Path | None = None) -> dict[str, str]:
    """Return ``{file name: sha256}`` from ``SHA256SUMS`` in ``folder`` (the weights folder).

    Falls back to the source tree's ``weights/SHA256SUMS`` when the folder has none (a
    ``FACEAPP_WEIGHTS_DIR`` the user made).
    """
    sums = (folder or weights_dir()) / "SHA256SUMS"
    if not sums.is_file():
        sums = _install_root() / "weights" / "SHA256SUMS"
    out = {}
    for line in sums.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 2 and not line.startswith("#"):
            out[parts[1]] = parts[0].lower()
    return out


def default_gallery_path() -> Path:
    """Return the default gallery database path inside the user data folder."""
    return user_data_path() / "gallery.sqlite3"
