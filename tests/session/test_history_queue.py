"""HistoryQueue driven from plain threads against a real gallery file: batches, tickets,
writes that outlive a stop, reads that show what was just seen, switching files."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest

from faceapp.session.history import HistoryCallbacks, HistoryQuery, HistoryQueue
from faceapp.storage.gallery import GalleryStore
from faceapp.storage.history import History, NewEvent

from .helpers import Calls, emb

CROP = b"\xff\xd8\xff\xe0 a face"


def _event(source: str = "camera 0", crop: bytes | None = None) -> NewEvent:
    return NewEvent("recognition", "unknown", None, 1.2, 0.8, source, 3.0, crop)


def _callbacks(calls: Calls) -> HistoryCallbacks:
    return HistoryCallbacks(
        **{name: calls.recorder(name) for name in HistoryCallbacks.__dataclass_fields__}
    )


@pytest.fixture
def store(tmp_path: Path) -> GalleryStore:
    store = GalleryStore(tmp_path / "gallery.sqlite3")
    store.add_samples("Ann", [(emb(1), None, "test")])
    History(store).configure(True, None)
    return store


def test_events_are_written_together_and_the_settings_are_reported_once(store) -> None:
    calls = Calls()
    queue = HistoryQueue(store, _callbacks(calls), flush_interval_s=0.2)
    queue.add_events([_event(), _event()])
    queue.add_events([_event()])
    queue.start_thread("history-test")
    try:
        assert calls.wait_for("recorded") == [(3,)]  # one write for the three
        calls.wait_for("settings_changed")
    finally:
        queue.stop()
    assert len(History(store).events()) == 3 and queue.stored == 3
    ((settings,),) = calls.of("settings_changed")
    assert settings.enabled and queue.settings == settings
    assert {thread for _, _, thread in calls.calls} == {"history-test"}


def test_a_read_shows_what_was_just_seen_with_its_ticket_and_decoded_crops(store) -> None:
    calls = Calls()
    queue = HistoryQueue(
        store, _callbacks(calls), flush_interval_s=3600.0, decode_crop=lambda b: ("pic", b)
    )
    queue.start_thread("history-test")
    try:
        queue.add_events([_event(crop=CROP), _event()])
        first = queue.request_events(HistoryQuery())
        second = queue.request_events(HistoryQuery(limit=1))
        pages = [args[0] for args in calls.wait_for("events_loaded", 2)]
    finally:
        queue.stop()
    assert [p.ticket for p in pages] == [first, second] and first < second
    assert len(pages[0].events) == 2 and pages[0].settings.enabled and pages[0].error is None
    assert pages[0].crops == (("pic", CROP), None)
    assert len(pages[1].events) == 1
    assert calls.of("recorded") == []  # a read writes the batch without announcing it


def test_queued_writes_and_the_last_batch_outlive_a_stop(store) -> None:
    calls = Calls()
    queue = HistoryQueue(store, _callbacks(calls), flush_interval_s=3600.0)
    History(store).record([_event("old")])
    queue.start_thread("history-test")
    busy, release = threading.Event(), threading.Event()
    queue.enqueue(False, lambda: (busy.set(), release.wait(10)))  # a request in progress
    assert busy.wait(10)
    configured = queue.configure(retention_days=30)
    read = queue.request_events(HistoryQuery())  # a read: dropped
    queue.add_events([_event("last")])
    stopper = threading.Thread(target=queue.stop)
    stopper.start()
    release.set()
    stopper.join(10)
    ((outcome,),) = calls.of("request_done")
    assert (outcome.ticket, outcome.action, outcome.error) == (configured, "configure", None)
    assert outcome.settings.retention_days == 30 == History(store).settings().retention_days
    assert [e.source for e in History(store).events()] == ["old", "last"]
    assert read not in [args[0].ticket for args in calls.of("events_loaded")]
    late = queue.clear()  # after the stop: carried out at once, in this thread
    cleared = calls.of("request_done")[-1][0]
    assert (cleared.ticket, cleared.count) == (late, 2) and History(store).events() == []


def test_after_use_store_events_go_to_the_new_file(store, tmp_path) -> None:
    other = GalleryStore(tmp_path / "other.sqlite3")
    other.add_samples("Bo", [(emb(2), None, "test")])
    History(other).configure(False, None)
    calls = Calls()
    queue = HistoryQueue(store, _callbacks(calls), flush_interval_s=3600.0)
    queue.start_thread("history-test")
    try:
        calls.wait_for("settings_changed")
        queue.add_events([_event("seen here")])
        queue.use_store(other)
        History(other).configure(True, None)
        queue.add_events([_event("seen there")] * 2)
        queue.flush_soon()
        calls.wait(lambda: sum(n for (n,) in calls.of("recorded")) == 3)
    finally:
        queue.stop()
    assert [e.source for e in History(store).events()] == ["seen here"]
    assert [e.source for e in History(other).events()] == ["seen there"] * 2


def test_the_export_is_private_and_its_errors_are_one_sentence(store, tmp_path) -> None:
    calls = Calls()
    queue = HistoryQueue(store, _callbacks(calls))
    queue.add_events([_event()])
    queue.start_thread("history-test")
    try:
        good = queue.export_csv(HistoryQuery(limit=None), tmp_path / "h.csv")
        bad = queue.export_csv(HistoryQuery(), tmp_path / "missing" / "h.csv")
        outcomes = {a[0].ticket: a[0] for a in calls.wait_for("request_done", 2)}
    finally:
        queue.stop()
    assert outcomes[good].error is None and outcomes[good].count == 1
    assert stat.S_IMODE((tmp_path / "h.csv").stat().st_mode) == 0o600
    assert "missing" in outcomes[bad].error and not (tmp_path / "missing").exists()
