"""Shared fixtures: the real sample photos, the real models, and LFW when it is present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks.data import LFW_DIR

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session", autouse=True)
def user_cache_dir(tmp_path_factory) -> Path:
    """A fresh user cache folder, so tests never read or write the real one."""
    folder = tmp_path_factory.mktemp("user-cache")
    os.environ["FACEAPP_CACHE_DIR"] = str(folder)
    return folder


@pytest.fixture(scope="session")
def celebrity_dir() -> Path:
    """The 5-celebrity photos fetched with the weights (train/ and val/ per person)."""
    from faceapp import paths

    d = paths.celebrity_dir()
    if not (d / "train").is_dir() or not (d / "val").is_dir():
        pytest.skip(f"5-celebrity photos not fetched into {d}; run 'faceapp weights fetch'")
    return d


@pytest.fixture(scope="session")
def lfw_dir() -> Path:
    """LFW from FACEAPP_LFW_DIR or ../shared/data/lfw (absent on a user's clone)."""
    if not (LFW_DIR / "pairs.txt").is_file():
        pytest.skip(f"LFW not available at {LFW_DIR} (only the project's shared data has it)")
    return LFW_DIR


@pytest.fixture(scope="session")
def pipeline():
    """The real pipeline (MTCNN + FaceNet), loaded once per test session."""
    from faceapp import paths
    from faceapp.core.pipeline import FacePipeline

    if not paths.facenet_weights_path().is_file():
        pytest.skip("FaceNet weights not fetched; run 'faceapp weights fetch'")
    p = FacePipeline()
    p.prepare()
    return p


def person_photos(root: Path, split: str) -> dict[str, list[Path]]:
    """Return ``{person: sorted photos}`` for one split of the 5-celebrity set."""
    return {
        d.name: sorted(p for p in d.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
        for d in sorted((root / split).iterdir())
        if d.is_dir()
    }
