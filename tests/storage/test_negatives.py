"""'Not X' corrections in the gallery file: stored, indexed, removed, migrated, overwritten."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import numpy as np
import pytest

from faceapp.core.matching import identify, l2_normalize
from faceapp.storage import schema
from faceapp.storage.gallery import SCHEMA_VERSION, GalleryStore
from tests.storage.helpers import emb, raw

JPEG = b"\xff\xd8" + b"crop-of-a-stranger" * 4 + b"\xff\xd9"


@pytest.fixture
def store(fresh_store: GalleryStore) -> GalleryStore:
    s = fresh_store
    s.add_samples("Ann", [(emb(1), None, None)])
    s.add_samples("Bob", [(emb(2), None, None)])
    return s


@pytest.fixture
def file_store(tmp_path: Path) -> GalleryStore:
    """For checks of the file's own bytes: a gallery file with Ann and Bob."""
    s = GalleryStore(tmp_path / "g.db")
    s.add_samples("Ann", [(emb(1), None, None)])
    s.add_samples("Bob", [(emb(2), None, None)])
    return s


def test_a_negative_is_stored_read_back_and_bumps_the_revision(file_store: GalleryStore) -> None:
    before = file_store.revision()
    nid = file_store.add_negative("Ann", emb(3), crop=JPEG, source="door.jpg")
    (neg,) = file_store.negatives("Ann")
    assert (neg.id, neg.person_id, neg.dim, neg.source, neg.crop) == (
        nid,
        file_store.find_person("Ann").id,
        128,
        "door.jpg",
        JPEG,
    )
    assert np.allclose(neg.embedding, l2_normalize(emb(3)), atol=1e-6)
    assert file_store.negatives("Bob") == [] and file_store.revision() > before
    assert file_store.people()[0].n_samples == 1  # a correction is not a sample
    assert stat.S_IMODE(file_store.path.stat().st_mode) == 0o600


def test_both_indexes_carry_the_negatives_and_identify_uses_them(store: GalleryStore) -> None:
    ann = store.samples("Ann")[0].embedding
    probe = l2_normalize(ann + 0.3 * l2_normalize(emb(5)))
    assert identify(probe, store.index(), threshold=1.0)[0].name == "Ann"
    near = l2_normalize(probe + 0.05 * l2_normalize(emb(6)))
    store.add_negative(store.find_person("Ann").id, near)
    for index in (store.index(), store.index_in_steps()):
        assert index.negatives.shape == (1, 128)
        assert index.names[index.negative_owners[0]] == "Ann"
        (m,) = identify(probe, index, threshold=1.0)
        assert m.name != "Ann" and m.corrected == "Ann"


def test_bad_corrections_are_refused_and_nothing_is_written(file_store: GalleryStore) -> None:
    with pytest.raises(KeyError):
        file_store.add_negative("Nobody", emb(3))
    with pytest.raises(ValueError, match="64 values"):
        file_store.add_negative("Ann", emb(3, dim=64))
    with pytest.raises(ValueError):
        file_store.add_negative("Ann", np.zeros(128, np.float32))
    with pytest.raises(TypeError):
        file_store.add_negative("Ann", emb(3), crop="not bytes")  # type: ignore[arg-type]
    assert raw(file_store.path, "SELECT count(*) FROM negatives") == [(0,)]
    with pytest.raises(KeyError):
        file_store.remove_negative(99)


def test_negatives_go_with_the_person_one_by_one_and_with_a_wipe(file_store: GalleryStore) -> None:
    a = file_store.add_negative("Ann", emb(3))
    file_store.add_negative("Ann", emb(4))
    file_store.add_negative("Bob", emb(5))
    file_store.remove_negative(a)
    assert len(file_store.negatives("Ann")) == 1
    file_store.remove_person("Ann")
    assert raw(file_store.path, "SELECT count(*) FROM negatives") == [(1,)]
    file_store.wipe(backup=False)
    assert not file_store.path.exists() and file_store.index().negatives.shape[0] == 0


def test_removed_negatives_are_overwritten_in_the_file(file_store: GalleryStore) -> None:
    marker = np.full(128, 0.0883883, np.float32)  # unit length: stored as these bytes
    marker[0] = 0.0883884
    blob = l2_normalize(marker).astype("<f4").tobytes()
    crop = b"\xff\xd8" + b"SECRET-STRANGER-CROP" * 3 + b"\xff\xd9"
    file_store.add_negative("Ann", marker, crop=crop)
    data = file_store.path.read_bytes()
    assert blob in data and crop in data
    file_store.remove_person("Ann")
    data = file_store.path.read_bytes()
    assert blob not in data and crop not in data


def test_a_schema_5_gallery_is_read_as_it_is_then_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for step in schema.MIGRATIONS[:5]:
        step(conn)
    conn.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 5")
    conn.execute("INSERT INTO people(name, created_at) VALUES ('Ann', '2026-01-01T00:00:00')")
    blob = l2_normalize(emb(1)).astype("<f4").tobytes()
    conn.execute("INSERT INTO samples(person_id, embedding, dim) VALUES (1, ?, 128)", (blob,))
    conn.close()
    store = GalleryStore(path)
    assert store.negatives("Ann") == [] and store.index().negatives.shape == (0, 128)
    assert store.index_in_steps().negatives.shape == (0, 128)
    assert raw(path, "PRAGMA user_version") == [(5,)]  # reads never migrate
    store.add_negative("Ann", emb(3))
    assert raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)] == [(6,)]
    assert len(store.negatives("Ann")) == 1 and len(store.samples("Ann")) == 1
    assert raw(store.backup_path, "PRAGMA user_version") == [(5,)]
