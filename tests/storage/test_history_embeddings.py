"""Unknown faces kept as faces (issue 19): embeddings beside the crops, under the same rules."""

from __future__ import annotations

import csv
import io
import sqlite3
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from faceapp.core.matching import l2_normalize
from faceapp.core.quality import QualityFigures
from faceapp.storage import schema
from faceapp.storage.gallery import SCHEMA_VERSION, GalleryStore
from faceapp.storage.history import (
    DAILY_COLUMNS,
    History,
    NewEvent,
    daily_rows,
    group_faces,
    plan_enrolment,
    write_daily_csv,
)

from .helpers import emb, raw

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
JPEG = b"\xff\xd8" + b"crop" * 10
GOOD = QualityFigures(120.0, 80.0, 0.1, 2.0)
POOR = QualityFigures(40.0, 80.0, 0.1, 2.0)  # too small to enrol


@pytest.fixture
def store(tmp_path: Path) -> GalleryStore:
    s = GalleryStore(tmp_path / "g.db")
    s.add_samples("Ann", [(emb(1), None, None)])
    return s


def unknown(vector: np.ndarray, at: datetime = NOW, quality=GOOD, source="cam") -> NewEvent:
    return NewEvent(
        "recognition",
        "unknown",
        None,
        1.3,
        1.07,
        source,
        2.0,
        JPEG,
        at,
        embedding=vector,
        quality=quality,
    )


def near(seed: int, k: int, spread: float = 0.15) -> list[np.ndarray]:
    """``k`` unit vectors within about ``spread`` of one another (one made-up person)."""
    centre = l2_normalize(emb(seed))
    rng = np.random.default_rng(seed + 1000)
    return [l2_normalize(centre + rng.normal(0, spread / 16, centre.shape)) for _ in range(k)]


def test_unknown_face_keeps_its_embedding_and_quality(store: GalleryStore) -> None:
    h = History(store)
    v = l2_normalize(emb(5))
    assert h.record([unknown(v)], now=NOW) == 1
    (face,) = h.unknown_faces(now=NOW)
    np.testing.assert_array_equal(face.embedding, v.astype(np.float32))
    assert face.quality == GOOD and face.source == "cam" and face.at == NOW
    assert raw(store.path, "SELECT length(embedding) FROM history") == [(4 * 128,)]


def test_a_named_face_stores_no_embedding(store: GalleryStore) -> None:
    ann = store.find_person("Ann").id
    e = NewEvent("recognition", "named", ann, 0.4, 1.07, at=NOW, embedding=emb(9), quality=GOOD)
    History(store).record([e], now=NOW)
    assert raw(store.path, "SELECT embedding, quality FROM history") == [(None, None)]


def test_a_bad_embedding_is_refused_and_nothing_stored(store: GalleryStore) -> None:
    h = History(store)
    with pytest.raises(ValueError):
        h.record([unknown(l2_normalize(emb(5))), unknown(np.zeros(128, np.float32))], now=NOW)
    assert h.events(now=NOW) == []


def test_schema_4_gallery_is_migrated_and_keeps_its_events(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for step in schema.MIGRATIONS[:4]:
        step(conn)
    conn.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 4")
    conn.execute(
        "INSERT INTO history(at, mode, decision, threshold, crop) VALUES (?, 'recognition',"
        " 'unknown', 1.07, ?)",
        (NOW.timestamp(), JPEG),
    )
    conn.close()
    store = GalleryStore(path)
    h = History(store)
    assert h.unknown_faces(now=NOW) == []  # read as it is: no embeddings yet
    assert raw(path, "PRAGMA user_version") == [(4,)]
    assert h.record([unknown(l2_normalize(emb(3)))], now=NOW) == 1
    assert raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert len(h.events(now=NOW)) == 2 and len(h.unknown_faces(now=NOW)) == 1


def test_retention_and_clear_remove_the_embeddings(store: GalleryStore) -> None:
    h = History(store)
    h.configure(retention_days=7)
    old, new = l2_normalize(emb(3)), l2_normalize(emb(4))
    h.record([unknown(old, NOW - timedelta(days=6))], now=NOW - timedelta(days=6))
    h.record([unknown(new)], now=NOW + timedelta(days=2))  # the first is past retention now
    assert [f.at for f in h.unknown_faces(now=NOW + timedelta(days=2))] == [NOW]
    assert raw(store.path, "SELECT count(*) FROM history") == [(1,)]
    assert h.clear() == 1
    assert h.unknown_faces(now=NOW) == [] and raw(store.path, "SELECT count(*) FROM history") == [
        (0,)
    ]


def test_cleared_embeddings_are_overwritten_in_the_file(store: GalleryStore) -> None:
    h = History(store)
    h.record([unknown(l2_normalize(emb(8)))], now=NOW)
    ((blob,),) = raw(store.path, "SELECT embedding FROM history")
    assert len(blob) == 512 and blob in store.path.read_bytes()
    h.clear()
    assert blob not in store.path.read_bytes()  # secure_delete


def test_forgotten_faces_lose_embedding_and_crop_named_ones_keep_the_crop(
    store: GalleryStore,
) -> None:
    h = History(store)
    h.record([unknown(v) for v in near(1, 2)], now=NOW)
    a, b = (f.event_id for f in h.unknown_faces(now=NOW))
    assert h.forget_faces([a]) == 1 and h.forget_faces([b], keep_crops=True) == 1
    assert h.unknown_faces(now=NOW) == []
    assert h.crop(a) is None and h.crop(b) == JPEG
    assert len(h.events(now=NOW)) == 2  # the appearances stay in the history


def test_gallery_with_faces_is_private(store: GalleryStore) -> None:
    History(store).record([unknown(l2_normalize(emb(3)))], now=NOW)
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_groups_merge_and_take_out(store: GalleryStore) -> None:
    h = History(store)
    # seen a second apart: faces of one frame would never be grouped together
    seen = [NOW - timedelta(seconds=i) for i in range(5)]
    h.record([unknown(v, at) for v, at in zip(near(1, 3) + near(2, 2), seen)], now=NOW)
    groups = group_faces(h.unknown_faces(now=NOW))
    assert [(g.id, g.count) for g in groups] == [(1, 3), (4, 2)]
    h.new_face_group(groups[0].event_ids + groups[1].event_ids)  # merged
    assert [(g.id, g.count) for g in group_faces(h.unknown_faces(now=NOW))] == [(1, 5)]
    h.new_face_group([1])  # taken out
    assert [(g.id, g.count) for g in group_faces(h.unknown_faces(now=NOW))] == [(2, 4), (1, 1)]


def test_a_group_is_enrolled_from_its_good_faces_only(store: GalleryStore) -> None:
    h = History(store)
    vs = near(11, 3)
    second = timedelta(seconds=1)
    h.record(
        [
            unknown(vs[0], quality=POOR),
            unknown(vs[1], NOW - second),
            unknown(vs[2], NOW - 2 * second, quality=None),
        ],
        now=NOW,
    )
    (group,) = group_faces(h.unknown_faces(now=NOW))
    plan = plan_enrolment(group, store.index(), "Zoe")
    assert [f.event_id for f in plan.faces] == [2, 3] and plan.ok
    plan = plan_enrolment(group, store.index(), "Zoe", allow_poor=True)
    assert [f.event_id for f in plan.faces] == [2, 3, 1]


def test_a_group_like_an_enrolled_person_is_refused(store: GalleryStore) -> None:
    h = History(store)
    ann = l2_normalize(emb(1))
    h.record([unknown(ann)], now=NOW)
    (group,) = group_faces(h.unknown_faces(now=NOW))
    plan = plan_enrolment(group, store.index(), "Zoe")
    assert not plan.ok and plan.refused[0].reason == "matches_other"


def test_daily_attendance_first_last_and_count(store: GalleryStore) -> None:
    h = History(store)
    ann = store.find_person("Ann").id
    times = [NOW, NOW + timedelta(hours=3), NOW + timedelta(days=1)]
    h.record(
        [NewEvent("recognition", "named", ann, 0.4, 1.07, "cam", None, None, t) for t in times]
        + [unknown(l2_normalize(emb(3)))],
        now=NOW + timedelta(days=1),
    )
    rows = daily_rows(h.events(now=NOW + timedelta(days=1)), tz=timezone.utc)
    assert [(r.day.isoformat(), r.name, r.appearances) for r in rows] == [
        ("2026-11-20", "Ann", 2),
        ("2026-11-21", "Ann", 1),
    ]
    assert rows[0].first_seen == NOW and rows[0].last_seen == NOW + timedelta(hours=3)
    out = io.StringIO()
    assert write_daily_csv(rows, out) == 2
    table = list(csv.reader(io.StringIO(out.getvalue())))
    assert tuple(table[0]) == DAILY_COLUMNS
    assert table[1][:5] == [
        "2026-11-20",
        "Ann",
        "2026-11-20T12:00:00+00:00",
        "2026-11-20T15:00:00+00:00",
        "2",
    ]


def test_daily_csv_escapes_formula_names(store: GalleryStore) -> None:
    from faceapp.storage.history import DayRow

    row = DayRow(NOW.date(), "=cmd()", 1, NOW, NOW, 1)
    out = io.StringIO()
    write_daily_csv([row], out)
    assert list(csv.reader(io.StringIO(out.getvalue())))[1][1] == "'=cmd()"
