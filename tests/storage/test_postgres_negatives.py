"""'Not X' corrections (issue 19) in both stores: add, list, remove, with the person, by a wipe."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from faceapp.storage.gallery import GalleryStore
from faceapp.storage.protocol import Store


def vec(seed: int, dim: int = 128) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=dim).astype(np.float32)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path: Path) -> Store:
    """The same tests on both stores: the SQLite file and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return GalleryStore(tmp_path / "g.sqlite3")
    from faceapp.storage.postgres import PostgresStore

    return PostgresStore(request.getfixturevalue("pg_uri"))


def test_negatives_are_added_listed_matched_and_removed(store) -> None:
    store.add_samples("Ann", [(vec(1), None, None)])
    store.add_samples("Bob", [(vec(2), None, None)])
    first = store.add_negative("Ann", vec(3), crop=b"\xff\xd8jpeg", source="camera")
    second = store.add_negative(store.find_person("Ann").id, vec(4))
    listed = store.negatives("Ann")
    assert [n.id for n in listed] == [first, second]
    assert listed[0].crop == b"\xff\xd8jpeg" and listed[0].source == "camera"
    assert np.allclose(listed[1].embedding, vec(4) / np.linalg.norm(vec(4)), atol=1e-6)
    for index in (store.index(), store.index_in_steps(rows_per_step=1)):
        assert index.negatives.shape == (2, 128)
        assert [index.names[k] for k in index.negative_owners] == ["Ann", "Ann"]
    store.remove_negative(first)
    assert [n.id for n in store.negatives("Ann")] == [second]
    with pytest.raises(KeyError):
        store.remove_negative(first)
    with pytest.raises(KeyError):
        store.add_negative("Nobody", vec(5))
    with pytest.raises(ValueError):
        store.add_negative("Ann", vec(5, dim=64))


def test_negatives_go_with_the_person_and_with_a_wipe(store) -> None:
    store.add_samples("Ann", [(vec(1), None, None)])
    store.add_samples("Bob", [(vec(2), None, None)])
    store.add_negative("Ann", vec(3))
    store.add_negative("Bob", vec(4))
    store.remove_person("Ann")
    assert [store.index().names[k] for k in store.index().negative_owners] == ["Bob"]
    store.wipe(backup=False)
    store.add_samples("Bob", [(vec(2), None, None)])
    assert store.negatives("Bob") == [] and store.index().negatives.shape[0] == 0


def test_negatives_round_trip_through_an_archive_between_the_stores(pg_uri, tmp_path) -> None:
    from faceapp.storage.archive import export_gallery, import_archive, read_archive
    from faceapp.storage.postgres import PostgresStore

    pg = PostgresStore(pg_uri)
    pg.add_samples("Ann", [(vec(1), None, None)])
    pg.add_negative("Ann", vec(2), crop=b"\xff\xd8jpeg", source="camera")
    out = tmp_path / "g.faceapp"
    export_gallery(pg, out, "0" * 64)
    sqlite = GalleryStore(tmp_path / "copy.sqlite3")
    import_archive(sqlite, read_archive(out, "0" * 64))
    back = pg
    back.wipe()  # and back into the emptied database
    export_gallery(sqlite, tmp_path / "again.faceapp", "0" * 64)
    import_archive(back, read_archive(tmp_path / "again.faceapp", "0" * 64))

    def content(store) -> list[tuple]:
        return [
            (n.embedding.tobytes(), n.crop, n.source, n.created_at) for n in store.negatives("Ann")
        ]

    assert content(sqlite) == content(back) and len(content(back)) == 1
