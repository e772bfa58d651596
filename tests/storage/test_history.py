"""The recognition history in the gallery file: record, query, retention, switch, CSV (no Qt)."""

from __future__ import annotations

import csv
import dataclasses
import io
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from faceapp.storage import schema
from faceapp.storage.gallery import SCHEMA_VERSION, GalleryStore
from faceapp.storage.history import (
    CSV_COLUMNS,
    DEFAULT_RETENTION_DAYS,
    History,
    NewEvent,
    parse_since,
    write_csv,
)

from .helpers import emb, raw

JPEG = b"\xff\xd8\xff\xe0crop"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


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


def named(store: GalleryStore, name: str, at: datetime, distance: float = 0.5) -> NewEvent:
    person = store.find_person(name)
    assert person is not None
    return NewEvent("recognition", "named", person.id, distance, 1.07, "cam", 1.5, JPEG, at)


def unknown(at: datetime) -> NewEvent:
    return NewEvent("recognition", "unknown", None, 1.3, 1.07, "cam", 2.0, JPEG, at)


def test_record_and_query_with_filters(store: GalleryStore) -> None:
    h = History(store)
    events = [
        named(store, "Ann", NOW - timedelta(days=3)),
        unknown(NOW - timedelta(days=2)),
        named(store, "Bob", NOW - timedelta(days=1), 0.7),
        NewEvent("verification", "rejected", store.find_person("Ann").id, 0.95, 0.87, at=NOW),
    ]
    assert h.record(events, now=NOW) == 4
    got = h.events(now=NOW)
    assert [e.decision for e in got] == ["named", "unknown", "named", "rejected"]  # oldest first
    assert [e.name for e in got] == ["Ann", None, "Bob", "Ann"]
    assert got[0].crop == JPEG and got[0].source == "cam" and got[0].position == 1.5
    assert got[2].distance == pytest.approx(0.7) and got[3].threshold == pytest.approx(0.87)
    assert got[0].at == NOW - timedelta(days=3)
    assert [e.name for e in h.events(since=NOW - timedelta(days=2, hours=1), now=NOW)] == [
        None,
        "Bob",
        "Ann",
    ]
    assert len(h.events(until=NOW - timedelta(days=2), now=NOW)) == 1
    assert [e.decision for e in h.events(name="Ann", now=NOW)] == ["named", "rejected"]
    assert [e.name for e in h.events(decision="named", now=NOW)] == ["Ann", "Bob"]
    assert [e.mode for e in h.events(mode="verification", now=NOW)] == ["verification"]
    assert [e.name for e in h.events(limit=2, now=NOW)] == ["Bob", "Ann"]  # the newest two
    light = h.events(crops=False, now=NOW)
    assert light == got and light[0].crop is None and h.crop(light[0].id) == JPEG
    assert h.crop(10_000) is None
    with pytest.raises(ValueError):
        h.events(decision="perhaps")


def test_a_maybe_is_recorded_with_its_person(store: GalleryStore) -> None:
    h = History(store)
    ann = store.find_person("Ann")
    assert ann is not None
    maybe = NewEvent("recognition", "maybe", ann.id, 0.82, 0.74, "cam", 3.0, JPEG, NOW)
    assert h.record([maybe, unknown(NOW)], now=NOW) == 2
    assert [(e.decision, e.name) for e in h.events(decision="maybe", now=NOW)] == [("maybe", "Ann")]
    with pytest.raises(ValueError, match="no person"):  # a maybe always says who it may be
        h.record([NewEvent("recognition", "maybe", None, 0.82, 0.74, at=NOW)], now=NOW)
    with pytest.raises(ValueError, match="does not belong"):
        h.record([NewEvent("verification", "maybe", ann.id, 0.82, 0.74, at=NOW)], now=NOW)


def test_history_writes_leave_the_revision_alone(store: GalleryStore) -> None:
    h = History(store)
    before = store.revision()
    h.record([unknown(NOW)], now=NOW)
    h.configure(retention_days=7)
    h.clear()
    assert store.revision() == before
    store.add_person("Cy")
    assert store.revision() == before + 1


def test_retention_prunes_on_write_and_hides_on_read(file_store: GalleryStore) -> None:
    h = History(file_store)
    assert h.settings().retention_days == DEFAULT_RETENTION_DAYS == 30
    old, recent = NOW - timedelta(days=31), NOW - timedelta(days=29)
    # An event already past the retention is not stored at all.
    assert h.record([unknown(old), unknown(recent)], now=NOW) == 1
    assert raw(file_store.path, "SELECT count(*) FROM history") == [(1,)]
    # A read a week later does not show what has expired meanwhile (nothing is written).
    later = NOW + timedelta(days=7)
    assert h.events(now=later) == []
    assert raw(file_store.path, "SELECT count(*) FROM history") == [(1,)]
    # The next write deletes it.
    h.record([unknown(later)], now=later)
    assert raw(file_store.path, "SELECT at FROM history") == [(later.timestamp(),)]


def test_shorter_retention_deletes_at_once(file_store: GalleryStore) -> None:
    h = History(file_store)
    now = datetime.now(timezone.utc)
    h.record([unknown(now - timedelta(days=10)), unknown(now - timedelta(hours=1))])
    settings = h.configure(retention_days=2)
    assert settings.retention_days == 2
    assert raw(file_store.path, "SELECT count(*) FROM history") == [(1,)]
    with pytest.raises(ValueError):
        h.configure(retention_days=0)


def test_off_switch_records_nothing_and_keeps_what_was_recorded(file_store: GalleryStore) -> None:
    h = History(file_store)
    now = datetime.now(timezone.utc)
    h.record([unknown(now)])
    assert h.configure(enabled=False).enabled is False
    before = file_store.path.read_bytes()
    assert h.record([unknown(now)]) == 0
    assert file_store.path.read_bytes() == before  # not even a transaction
    assert len(h.events()) == 1
    assert h.configure(enabled=True).enabled
    assert h.record([unknown(now)]) == 1
    # The switch is a setting of the file: another file_store on the same file sees it.
    History(GalleryStore(file_store.path)).configure(enabled=False)
    assert h.settings().enabled is False


def test_no_gallery_file_no_history(tmp_path: Path) -> None:
    store = GalleryStore(tmp_path / "none.db")
    h = History(store)
    assert h.record([unknown(NOW)], now=NOW) == 0
    assert not store.path.exists()
    assert h.events() == [] and h.settings().enabled


def test_removing_a_person_removes_their_events_and_crops(file_store: GalleryStore) -> None:
    h = History(file_store)
    crop = b"\xff\xd8\xff" + b"ann-face-crop-bytes" * 4
    ann = file_store.find_person("Ann").id
    now = datetime.now(timezone.utc)
    h.record([NewEvent("recognition", "named", ann, 0.4, 1.07, "cam", 0.0, crop, now)])
    h.record([named(file_store, "Bob", now)])
    assert crop in file_store.path.read_bytes()
    file_store.remove_person("Ann")
    assert [e.name for e in h.events()] == ["Bob"]
    assert crop not in file_store.path.read_bytes()  # secure_delete overwrote it


def test_renamed_person_shows_the_new_name(store: GalleryStore) -> None:
    h = History(store)
    h.record([named(store, "Ann", datetime.now(timezone.utc))])
    store.rename("Ann", "Anne")
    assert [e.name for e in h.events()] == ["Anne"]
    assert len(h.events(name="Anne")) == 1 and h.events(name="Ann") == []


def test_event_of_a_person_removed_meanwhile_is_dropped(store: GalleryStore) -> None:
    h = History(store)
    event = named(store, "Ann", datetime.now(timezone.utc))
    store.remove_person("Ann")
    assert h.record([event, unknown(datetime.now(timezone.utc))]) == 1


@pytest.mark.parametrize(
    "bad",
    [
        NewEvent("recognition", "accepted", 1, 0.5, 1.07),  # decision of the other mode
        NewEvent("recognition", "unknown", 1, 0.5, 1.07),  # unknown with a person
        NewEvent("recognition", "named", None, 0.5, 1.07),  # named without one
        NewEvent("recognition", "named", 1, float("nan"), 1.07),
        NewEvent("recognition", "named", 1, 0.5, 1.07, crop=b"not a jpeg"),
        NewEvent("recognition", "named", 1, 0.5, 1.07, at=datetime(2026, 1, 1)),  # naive
        NewEvent("sideways", "named", 1, 0.5, 1.07),
    ],
)
def test_malformed_events_write_nothing(file_store: GalleryStore, bad: NewEvent) -> None:
    before = file_store.path.read_bytes()
    with pytest.raises((ValueError, TypeError)):
        History(file_store).record([unknown(NOW), bad], now=NOW)
    assert file_store.path.read_bytes() == before


def test_infinite_distance_is_stored_as_none(store: GalleryStore) -> None:
    h = History(store)
    e = NewEvent("recognition", "unknown", None, float("inf"), 1.07, at=NOW)
    h.record([e], now=NOW)
    assert h.events(now=NOW)[0].distance is None


def test_schema_2_gallery_is_read_without_history_then_migrated_with_a_backup(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    schema._migrate_v1(conn)
    schema._migrate_v2(conn)
    conn.execute("PRAGMA user_version = 2")
    conn.execute("INSERT INTO people(name, created_at) VALUES ('Ann', '2024-01-01')")
    conn.close()
    before = path.read_bytes()
    store = GalleryStore(path)
    h = History(store)
    assert h.events() == [] and h.settings().enabled
    assert path.read_bytes() == before  # reads never migrate
    ann = store.find_person("Ann").id
    assert h.record([NewEvent("verification", "accepted", ann, 0.3, 0.87, at=NOW)], now=NOW) == 1
    assert raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert raw(store.backup_path, "PRAGMA user_version") == [(2,)]
    assert [e.name for e in h.events(now=NOW)] == ["Ann"]


def test_csv_has_the_columns_and_defuses_formulas(file_store: GalleryStore) -> None:
    h = History(file_store)
    file_store.rename("Bob", "=HYPERLINK(1)")
    h.record([named(file_store, "=HYPERLINK(1)", NOW, 0.61234), unknown(NOW)], now=NOW)
    buf = io.StringIO(newline="")
    assert write_csv(h.events(now=NOW), buf) == 2
    rows = list(csv.reader(io.StringIO(buf.getvalue())))
    assert tuple(rows[0]) == CSV_COLUMNS
    first = dict(zip(rows[0], rows[1]))
    assert first["name"] == "'=HYPERLINK(1)" and first["distance"] == "0.6123"
    assert first["time_utc"] == "2026-11-20T12:00:00.000+00:00" and first["decision"] == "named"
    assert dict(zip(rows[0], rows[2]))["name"] == ""


def test_parse_since() -> None:
    assert parse_since("7d", now=NOW) == NOW - timedelta(days=7)
    assert parse_since("90m", now=NOW) == NOW - timedelta(minutes=90)
    assert parse_since("2026-11-01T08:30Z") == datetime(2026, 11, 1, 8, 30, tzinfo=timezone.utc)
    local = parse_since("2026-11-01")
    assert local.tzinfo is not None and (local.hour, local.minute) == (0, 0)
    for bad in ("yesterday", "7 parsecs", "2026-13-01"):
        with pytest.raises(ValueError, match="--since"):
            parse_since(bad)


def test_recording_reads_only_the_people_its_events_name(
    file_store: GalleryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With 100,000 people, reading every person per recorded event held the GIL ~20 ms."""
    import faceapp.storage.history.store as history_store

    monkeypatch.setattr(history_store, "_shared", lambda conn: False)  # a file, counted
    for k in range(50):
        file_store.add_person(f"Extra {k}")
    people_rows: list[int] = []

    class Counting:
        def __init__(self, conn: sqlite3.Connection) -> None:
            self._conn = conn

        def __getattr__(self, name: str):
            return getattr(self._conn, name)

        def execute(self, sql: str, *args):
            cursor = self._conn.execute(sql, *args)
            if "FROM people" not in sql:
                return cursor
            rows = cursor.fetchall()
            people_rows.append(len(rows))
            return iter(rows)

    writes = file_store.write_transaction
    file_store.write_transaction = lambda body, **kw: writes(lambda c: body(Counting(c)), **kw)
    ann = named(file_store, "Ann", NOW)
    reused = NewEvent("recognition", "named", ann.person_id, 0.5, 1.07, "cam", 1.5, JPEG, NOW)
    stale = dataclasses.replace(named(file_store, "Bob", NOW), person_since="2000-01-01")
    stored = History(file_store).record([ann, reused, unknown(NOW), stale], now=NOW)
    assert sum(people_rows) <= 2  # Ann and Bob, not the 52 people of the file
    assert stored == 3  # the event whose person_since is not Bob's enrolment is dropped
