"""Gallery privacy: file and folder permissions, and no trace of a removed person."""

from __future__ import annotations

import logging
import sqlite3
import stat
from pathlib import Path

import numpy as np
import pytest

from faceapp import paths
from faceapp.storage.gallery import GalleryStore


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022():
    import os

    old = os.umask(0o022)
    yield
    os.umask(old)


def test_new_gallery_is_private(tmp_path: Path, umask_022) -> None:
    existing = tmp_path / "existing"
    existing.mkdir()
    assert mode(existing) == 0o755
    path = existing / "made" / "by" / "faceapp" / "g.db"
    store = GalleryStore(path)
    store.add_person("Ann")
    assert mode(path) == 0o600
    for folder in (existing / "made", existing / "made" / "by", path.parent):
        assert mode(folder) == 0o700
    assert mode(existing) == 0o755  # a folder that was there already is not faceapp's


def test_loose_gallery_file_is_fixed_with_a_warning(tmp_path: Path, caplog) -> None:
    path = tmp_path / "g.db"
    GalleryStore(path).add_person("Ann")
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="faceapp.storage.gallery"):
        store = GalleryStore(path)
    assert mode(path) == 0o600
    assert any(str(path) in r.getMessage() and "0644" in r.getMessage() for r in caplog.records)
    assert [p.name for p in store.people()] == ["Ann"]


def test_loose_data_folder_is_fixed_other_folders_left_alone(
    tmp_path: Path, monkeypatch, caplog
) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("FACEAPP_DATA_DIR", str(data))
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    elsewhere = tmp_path / "documents"
    elsewhere.mkdir()
    elsewhere.chmod(0o755)
    with caplog.at_level(logging.WARNING, logger="faceapp.storage.gallery"):
        GalleryStore(paths.default_gallery_path()).add_person("Ann")
        GalleryStore(elsewhere / "g.db").add_person("Ann")
    assert mode(data) == 0o700
    assert any("data folder" in r.getMessage() for r in caplog.records)
    assert mode(elsewhere) == 0o755  # the user's own folder
    assert mode(elsewhere / "g.db") == 0o600


def test_a_foreign_file_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes(text)")
    conn.close()
    path.chmod(0o644)
    with pytest.raises(Exception, match="another program"):
        GalleryStore(path)
    assert mode(path) == 0o644


# -- a removed person leaves no bytes behind ------------------------------------------


def residue(path: Path) -> bytes:
    """Every byte of the gallery and of any journal beside it."""
    return b"".join(
        Path(f"{path}{s}").read_bytes()
        for s in ("", "-journal", "-wal", "-shm")
        if Path(f"{path}{s}").exists()
    )


def enrol_three(path: Path) -> dict[str, tuple[bytes, bytes, bytes]]:
    """Enrol three people with recognisable bytes: {name: (name, embedding, thumbnail)}."""
    store = GalleryStore(path)
    rng = np.random.default_rng(3)
    marks = {}
    for name in ("Zebulon Quartermaine", "Ann", "Bob"):
        embedding = rng.normal(size=128)
        thumbnail = b"\xff\xd8" + rng.bytes(20_000)  # spills over several pages
        store.add_samples(name, [(embedding, thumbnail, "cam")])
        (sample,) = store.samples(name)
        marks[name] = (name.encode(), sample.embedding.tobytes(), thumbnail)
    return marks


def traces(content: bytes, marks: tuple[bytes, bytes, bytes]) -> list[str]:
    name, embedding, thumbnail = marks
    found = []
    if name in content:
        found.append("name")
    if embedding[:64] in content or embedding[-64:] in content:
        found.append("embedding")
    chunks = [thumbnail[i : i + 64] for i in range(0, len(thumbnail) - 64, 997)]
    if any(chunk in content for chunk in chunks):
        found.append("thumbnail")
    return found


def test_a_removed_persons_bytes_are_gone_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    marks = enrol_three(path)
    assert traces(residue(path), marks["Zebulon Quartermaine"]) == [
        "name",
        "embedding",
        "thumbnail",
    ]
    GalleryStore(path).remove_person(" Zebulon Quartermaine ")
    content = residue(path)
    assert traces(content, marks["Zebulon Quartermaine"]) == []
    assert traces(content, marks["Ann"]) == ["name", "embedding", "thumbnail"]


def test_without_secure_delete_the_bytes_would_stay(tmp_path: Path, monkeypatch) -> None:
    """The control for the test above: the store's own pragma is what clears them."""
    path = tmp_path / "g.db"
    marks = enrol_three(path)

    def setup_without_secure_delete(conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA secure_delete = OFF")
        conn.execute("PRAGMA foreign_keys = ON")

    monkeypatch.setattr(GalleryStore, "_setup", staticmethod(setup_without_secure_delete))
    GalleryStore(path).remove_person("Zebulon Quartermaine")
    assert traces(residue(path), marks["Zebulon Quartermaine"]) != []
