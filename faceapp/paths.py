"""Where faceapp finds its resources and weights (source tree or frozen app) and keeps user data."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from platformdirs import user_data_dir

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


def default_gallery_path() -> Path:
    """Return the default gallery database path inside the user data folder."""
    return user_data_path() / "gallery.sqlite3"
