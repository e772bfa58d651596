"""Quality figures stored with samples: schema 4, its migration from 3, JSON, the archive."""

from __future__ import annotations

import json
import logging
import sqlite3
import zipfile
from pathlib import Path

import numpy as np
import pytest

from faceapp.core.images import encode_jpeg
from faceapp.core.quality import QualityFigures, judge
from faceapp.storage import schema
from faceapp.storage.archive import ArchiveError, export_gallery, import_archive, read_archive
from faceapp.storage.gallery import SCHEMA_VERSION, GalleryStore
from faceapp.storage.samples import quality_from_json, quality_json

from .helpers import emb, raw

SHA = "ab" * 32
FIGURES = QualityFigures(146.0, 401.2345678901, 0.0612, -7.25)


def v3_gallery(path: Path) -> None:
    """Write a schema-3 gallery as faceapp 3 did: two people, samples, a history event."""
    conn = sqlite3.connect(path, isolation_level=None)
    for step in (schema._migrate_v1, schema._migrate_v2, schema._migrate_v3):
        step(conn)
    conn.execute("PRAGMA user_version = 3")
    conn.execute("INSERT INTO people(id, name, created_at) VALUES (1, 'Ann', '2026-01-01')")
    conn.execute("INSERT INTO people(id, name, created_at) VALUES (2, 'Bob', '2026-01-02')")
    for sid, pid, seed, thumb, source in [
        (1, 1, 1, encode_jpeg(np.full((32, 32, 3), 90, np.uint8)), "ann.jpg"),
        (2, 1, 2, None, "capture"),
        (3, 2, 3, None, None),
    ]:
        v = emb(seed) / np.linalg.norm(emb(seed))
        conn.execute(
            "INSERT INTO samples VALUES (?, ?, ?, 128, ?, ?, ?)",
            (sid, pid, v.astype("<f4").tobytes(), thumb, source, f"2026-01-0{sid}T10:00:00"),
        )
    conn.execute(
        "INSERT INTO history(at, mode, decision, person_id, distance, threshold)"
        " VALUES (1.0, 'recognition', 'named', 1, 0.4, 1.07)"
    )
    conn.close()


def snapshot(store: GalleryStore) -> list[tuple]:
    return [
        (p.name, s.id, s.embedding.tobytes(), s.thumbnail, s.source, s.created_at)
        for p in store.people()
        for s in store.samples(p.name)
    ]


def test_schema_3_gallery_is_read_as_not_recorded_then_migrated_keeping_everything(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v3.db"
    v3_gallery(path)
    before_bytes = path.read_bytes()
    store = GalleryStore(path)
    before = snapshot(store)
    assert len(before) == 3
    assert all(s.quality is None for s in store.samples("Ann"))
    assert path.read_bytes() == before_bytes  # reads never migrate

    (new_id,) = store.add_samples("Ann", [(emb(9), None, "capture", FIGURES)])

    assert raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert raw(store.backup_path, "PRAGMA user_version") == [(3,)]
    assert snapshot(store)[:2] + snapshot(store)[3:] == before  # old rows unchanged
    ann = store.samples("Ann")
    assert [s.quality for s in ann] == [None, None, FIGURES]
    assert ann[-1].id == new_id
    assert [s.quality for s in store.samples("Bob")] == [None]
    assert raw(path, "SELECT count(*) FROM history") == [(1,)]
    assert raw(path, "SELECT quality FROM samples WHERE id < 4") == [(None,)] * 3


def test_new_gallery_stores_figures_exactly_and_three_item_samples_without(
    tmp_path: Path,
) -> None:
    store = GalleryStore(tmp_path / "g.db")
    store.add_samples("Ann", [(emb(1), None, "a.jpg", FIGURES), (emb(2), None, "b.jpg")])
    store.add_samples("Ann", [(emb(3), None, "c.jpg", None)])
    assert [s.quality for s in store.samples("Ann")] == [FIGURES, None, None]
    text = raw(store.path, "SELECT quality FROM samples ORDER BY id")[0][0]
    assert json.loads(text) == {
        "size_px": 146.0,
        "sharpness": 401.2345678901,
        "yaw_ratio": 0.0612,
        "roll_deg": -7.25,
    }


@pytest.mark.parametrize(
    "bad",
    [
        QualityFigures(float("nan"), 1.0, 0.0, 0.0),
        QualityFigures(100.0, float("inf"), 0.0, 0.0),
        {"size_px": 1.0},
    ],
)
def test_invalid_figures_write_nothing(tmp_path: Path, bad: object) -> None:
    store = GalleryStore(tmp_path / "g.db")
    store.add_samples("Ann", [(emb(1), None, None)])
    with pytest.raises((ValueError, TypeError)):
        store.add_samples("Ann", [(emb(2), None, None, FIGURES), (emb(3), None, None, bad)])
    assert len(store.samples("Ann")) == 1


def test_unreadable_stored_json_reads_as_not_recorded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = GalleryStore(tmp_path / "g.db")
    store.add_samples("Ann", [(emb(1), None, None, FIGURES)] * 3)
    conn = sqlite3.connect(store.path)
    conn.execute("UPDATE samples SET quality = '{not json' WHERE id = 1")
    conn.execute("""UPDATE samples SET quality = '{"size_px": "big"}' WHERE id = 2""")
    conn.commit()
    conn.close()
    with caplog.at_level(logging.WARNING):
        assert [s.quality for s in store.samples("Ann")] == [None, None, FIGURES]
    assert "unreadable quality figures" in caplog.text


def test_json_round_trip_and_judging_stored_figures() -> None:
    assert quality_from_json(quality_json(FIGURES)) == FIGURES
    assert quality_json(None) is None and quality_from_json(None) is None
    assert judge(FIGURES).ok
    small = judge(QualityFigures(60.0, 401.0, 0.1, 30.0))
    assert [c.ok for c in small.checks] == [False, True, True, False]


def test_archive_carries_the_figures_and_old_archives_import_without(tmp_path: Path) -> None:
    source = GalleryStore(tmp_path / "source.db")
    source.add_samples("Ann", [(emb(1), None, "a.jpg", FIGURES), (emb(2), None, "capture")])
    out = tmp_path / "g.zip"
    export_gallery(source, out, SHA)
    with zipfile.ZipFile(out) as zf:
        doc = json.loads(zf.read("manifest.json"))
    first, second = doc["people"][0]["samples"]
    assert first["quality"]["sharpness"] == FIGURES.sharpness and "quality" not in second
    assert doc["format_version"] == 2  # 2 since the "not X" corrections

    target = GalleryStore(tmp_path / "target.db")
    import_archive(target, read_archive(out, SHA, 128))
    assert [s.quality for s in target.samples("Ann")] == [FIGURES, None]

    # An archive written before the key existed (and a v3 gallery exporting) has none.
    old = tmp_path / "v3.db"
    v3_gallery(old)
    old_zip = tmp_path / "old.zip"
    export_gallery(GalleryStore(old), old_zip, SHA)
    with zipfile.ZipFile(old_zip) as zf:
        old_doc = json.loads(zf.read("manifest.json"))
    assert all("quality" not in s for p in old_doc["people"] for s in p["samples"])
    archive = read_archive(old_zip, SHA, 128)
    assert all(s.quality is None for p in archive.people for s in p.samples)


@pytest.mark.parametrize(
    "bad",
    [
        {"size_px": 1.0},
        {"size_px": "1", "sharpness": 1, "yaw_ratio": 0, "roll_deg": 0},
        [1, 2, 3, 4],
        "x",
    ],
)
def test_archive_with_malformed_figures_is_refused(tmp_path: Path, bad: object) -> None:
    source = GalleryStore(tmp_path / "source.db")
    source.add_samples("Ann", [(emb(1), None, "a.jpg", FIGURES)])
    out = tmp_path / "g.zip"
    export_gallery(source, out, SHA)
    with zipfile.ZipFile(out) as zf:
        content = {n: zf.read(n) for n in zf.namelist()}
    doc = json.loads(content["manifest.json"])
    doc["people"][0]["samples"][0]["quality"] = bad
    content["manifest.json"] = json.dumps(doc).encode()
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(broken, "w") as zf:
        for name, data in content.items():
            zf.writestr(name, data)
    with pytest.raises(ArchiveError, match="quality"):
        read_archive(broken, SHA, 128)
