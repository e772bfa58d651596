"""The window's recognition history: recording with the real model, the History dialog, CSV."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from faceapp.core.appearances import AppearanceFilter
from faceapp.core.sources import ImageFolderSource
from faceapp.storage.history import CSV_COLUMNS, History, NewEvent

from .gui_helpers import ListSource, Recorder, letterboxed_folder, make_ctx

#: One val photo per person, and the name the demo gallery gives them.
PEOPLE = {
    "ben_afflek": "Ben Afflek",
    "elton_john": "Elton John",
    "jerry_seinfeld": "Jerry Seinfeld",
    "madonna": "Madonna",
    "mindy_kaling": "Mindy Kaling",
}


def _unique_results(recorder: Recorder) -> list:
    """The results recorded, one per frame (a frame processed again counts once)."""
    seen, out = set(), []
    for (result,) in recorder.calls:
        if result.index not in seen:
            seen.add(result.index)
            out.append(result)
    return out


def _page(qtbot, dialog):
    """Ask the dialog to read again and wait until that read is on show."""
    dialog.reload()
    qtbot.waitUntil(lambda: dialog.events_read.settled, timeout=15_000)
    return dialog.events()


def _run_folder(qtbot, make_window, ctx, folder, n_photos):
    """Show a folder of photos once, wait until each photo was processed or skipped."""
    window = make_window(ctx, ImageFolderSource(folder, fps=1.0, loop=False))
    results = Recorder(ctx.result_ready)
    # The window steps a folder photo by photo, each until processed (``ctx`` is made
    # with no minimum time on screen): wait until the last photo's result came.
    qtbot.waitUntil(
        lambda: any(r.index == n_photos - 1 for (r,) in results.calls),
        timeout=120_000,
    )
    return window, results


@pytest.mark.model
def test_the_window_records_one_event_per_appearance_and_the_dialog_shows_them(
    qtbot, make_window, real_pipeline, demo_store, val_photos, tmp_path
):
    photos = [val_photos[folder][1] for folder in PEOPLE]
    folder = letterboxed_folder(tmp_path / "visitors", photos)
    ctx = make_ctx(demo_store, real_pipeline, photo_interval_s=0.0)
    window, results = _run_folder(qtbot, make_window, ctx, folder, len(photos))

    decided = [fr for r in _unique_results(results) for fr in r.faces if fr.match is not None]
    assert decided, "the real model found no face in the photos"
    from faceapp.gui.dialogs.history_dialog import HistoryDialog

    dialog = HistoryDialog.open_for(window.ctx, window)
    events = _page(qtbot, dialog)

    # A photo of a folder is one appearance per face: one event each, none per frame shown.
    assert 1 <= len(events) == len(decided)
    assert sorted(e.name or "Unknown" for e in events) == sorted(fr.label for fr in decided)
    named = {e.name for e in events if e.decision == "named"}
    assert named and named <= set(PEOPLE.values())
    assert len(named) >= 3  # the val photos of at least three people are named
    assert all(e.mode == "recognition" and e.source == "visitors" for e in events)
    assert all(e.position is None for e in events)  # still photos: no position
    assert all(e.crop is not None and e.crop[:2] == b"\xff\xd8" for e in events)
    assert dialog.table.rowCount() == len(events)
    names_in_table = sorted(dialog.table.item(r, 2).text() for r in range(len(events)))
    assert names_in_table == sorted(e.name or "Unknown" for e in events)
    assert (
        dialog.table.item(0, 0).data(Qt.ItemDataRole.DecorationRole) is not None
    )  # a crop in the Face column

    # Filters narrow the table.
    one = sorted(named)[0]
    dialog.person_box.setCurrentIndex(dialog.person_box.findData(one))
    qtbot.waitUntil(lambda: dialog.events_read.settled, timeout=15_000)
    assert dialog.events() and {e.name for e in dialog.events()} == {one}
    assert len(dialog.events()) < len(events)
    dialog.person_box.setCurrentIndex(0)
    dialog.mode_box.setCurrentIndex(dialog.mode_box.findData("verification"))
    qtbot.waitUntil(lambda: dialog.events_read.settled, timeout=15_000)
    assert dialog.events() == () and dialog.table.rowCount() == 0
    dialog.mode_box.setCurrentIndex(0)
    dialog.decision_box.setCurrentIndex(dialog.decision_box.findData("named"))
    dialog.since_box.setCurrentIndex(dialog.since_box.findData("hour"))
    qtbot.waitUntil(lambda: dialog.events_read.settled, timeout=15_000)
    assert {e.name for e in dialog.events()} == named
    assert all(e.decision == "named" for e in dialog.events())

    # CSV export (all events the filters select) parses back.
    dialog.decision_box.setCurrentIndex(0)
    done = Recorder(ctx.history.request_done)
    out = tmp_path / "history.csv"
    dialog.export_csv(out)
    outcome = done.wait(qtbot, lambda a: a[0].action == "export", timeout=15_000)[0]
    assert outcome.error is None and outcome.count == len(events)
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert sorted(int(r["event_id"]) for r in rows) == sorted(e.id for e in events)
    assert sorted(r["name"] for r in rows) == sorted(e.name or "" for e in events)
    for r in rows:
        at = datetime.fromisoformat(r["time_utc"])
        assert abs(datetime.now(timezone.utc) - at) < timedelta(hours=1)
        assert r["distance"] == "" or 0.0 <= float(r["distance"]) < 2.0


@pytest.mark.model
def test_a_face_followed_across_frames_is_one_event_not_one_per_frame(
    qtbot, make_window, real_pipeline, demo_store, val_photos, tmp_path
):
    folder = letterboxed_folder(tmp_path / "still", [val_photos["madonna"][0]])
    image = ImageFolderSource(folder)
    image.open()
    frame = image.read().image
    # A "video" of the same face: the tracker follows it, frame after frame.
    # Two seconds at 8 fps: a busy machine still processes a dozen of them (37 of 40 at
    # a load average of 7.7 on two cores), well above the 3 the test needs.
    clip = ListSource([frame], fps=8.0, count=16, name="clip")
    ctx = make_ctx(demo_store, real_pipeline)
    results = Recorder(ctx.result_ready)
    window = make_window(ctx, clip)
    # The clip ends after 16 frames (the newest frame wins: some are skipped under load,
    # and a result that comes after the end is not shown).
    qtbot.waitUntil(lambda: "has ended" in window.source_banner.text(), timeout=120_000)
    decided = [fr for (r,) in results.calls for fr in r.faces if fr.match is not None]
    assert len(decided) >= 3, "too few frames were processed to tell"
    expected = AppearanceFilter().feed([r for (r,) in results.calls], "recognition")
    window.shutdown()  # writes the last events

    events = History(demo_store).events()
    assert 1 <= len(events) == len(expected) < len(decided)
    assert {e.name for e in events} == {"Madonna"}
    assert all(e.source == "clip" and e.position is not None for e in events)


@pytest.mark.model
def test_with_history_off_nothing_is_recorded(
    qtbot, make_window, real_pipeline, demo_store, val_photos, tmp_path
):
    History(demo_store).configure(enabled=False)
    photos = [val_photos["madonna"][0], val_photos["jerry_seinfeld"][2]]
    folder = letterboxed_folder(tmp_path / "visitors", photos)
    ctx = make_ctx(demo_store, real_pipeline, photo_interval_s=0.0)
    window, results = _run_folder(qtbot, make_window, ctx, folder, len(photos))
    # Faces were decided (each would be an event with history on) ...
    assert any(fr.match is not None for (r,) in results.calls for fr in r.faces)
    window.shutdown()
    # ... but none was recorded.
    assert ctx.history.queue.stored == 0
    assert History(demo_store).events() == []


# -- the dialog without the model ---------------------------------------------------------------


@pytest.fixture
def recorded_store(store):
    """A gallery with Ann and Bob and three events: Ann named twice, one unknown face."""
    store.add_samples("Ann", [(np.eye(1, 128, 0, dtype=np.float32)[0], None, "a.jpg")])
    store.add_samples("Bob", [(np.eye(1, 128, 1, dtype=np.float32)[0], None, "b.jpg")])
    ann = store.find_person("Ann").id
    History(store).record(
        [
            NewEvent("recognition", "named", ann, 0.4, 0.8, "camera 0", 1.0),
            NewEvent("recognition", "named", ann, 0.5, 0.8, "camera 0", 9.0),
            NewEvent("recognition", "unknown", None, 1.1, 0.8, "camera 0", 12.0),
        ]
    )
    return store


@pytest.fixture
def started_ctx(qtbot, recorded_store):
    from .gui_helpers import fake_pipeline

    ctx = make_ctx(recorded_store, fake_pipeline())
    ctx.start_gallery()
    qtbot.waitUntil(lambda: ctx.people_loaded, timeout=10_000)
    yield ctx
    ctx.stop_gallery()


def test_the_dialog_lists_filters_and_clears_after_confirmation(
    qtbot, started_ctx, recorded_store, monkeypatch
):
    from faceapp.gui.dialogs.history_dialog import HistoryDialog

    dialog = HistoryDialog(started_ctx)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.events_read.settled, timeout=10_000)
    assert [e.name for e in dialog.events()] == ["Ann", "Ann", None]
    assert dialog.table.item(0, 2).text() == "Unknown"  # newest first
    dialog.decision_box.setCurrentIndex(dialog.decision_box.findData("unknown"))
    qtbot.waitUntil(lambda: dialog.events_read.settled, timeout=10_000)
    assert [e.decision for e in dialog.events()] == ["unknown"]

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Cancel)
    dialog.clear_button.click()
    assert len(History(recorded_store).events()) == 3  # cancelled: nothing deleted

    done = Recorder(started_ctx.history.request_done)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    dialog.clear_button.click()
    assert done.wait(qtbot, lambda a: a[0].action == "clear")[0].count == 3
    qtbot.waitUntil(lambda: dialog.events_read.settled, timeout=10_000)
    assert dialog.events() == () and History(recorded_store).events() == []


def test_a_maybe_is_shown_as_maybe_x_and_can_be_filtered(qtbot, started_ctx, recorded_store):
    from faceapp.gui.dialogs.history_dialog import HistoryDialog
    from faceapp.gui.widgets.video_view import MAYBE_COLOUR

    bob = recorded_store.find_person("Bob").id
    History(recorded_store).record(
        [NewEvent("recognition", "maybe", bob, 0.93, 0.84, "camera 0", 15.0)]
    )
    dialog = HistoryDialog(started_ctx)
    qtbot.addWidget(dialog)
    events = _page(qtbot, dialog)
    assert [e.decision for e in events] == ["named", "named", "unknown", "maybe"]
    person, decision = dialog.table.item(0, 2), dialog.table.item(0, 4)  # newest first
    assert (person.text(), decision.text()) == ("maybe Bob?", "maybe")
    assert person.foreground().color() == MAYBE_COLOUR
    assert dialog.table.item(1, 2).text() == "Unknown"
    dialog.decision_box.setCurrentIndex(dialog.decision_box.findData("maybe"))
    qtbot.waitUntil(lambda: dialog.events_read.settled, timeout=10_000)
    assert [(e.decision, e.name) for e in dialog.events()] == [("maybe", "Bob")]
    assert dialog.decision_box.currentText() == "Maybe"


def test_the_dialog_switches_history_off_and_sets_the_retention(qtbot, started_ctx, recorded_store):
    from faceapp.gui.dialogs.history_dialog import HistoryDialog

    dialog = HistoryDialog(started_ctx)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.events_read.settled, timeout=10_000)
    assert dialog.enabled_box.isChecked() and dialog.retention_box.value() == 30
    done = Recorder(started_ctx.history.request_done)
    dialog.enabled_box.setChecked(False)
    done.wait(qtbot, lambda a: a[0].action == "configure")
    assert History(recorded_store).settings().enabled is False
    assert started_ctx.history.tap.enabled is False  # no crops are cut meanwhile
    dialog.retention_box.setValue(7)
    done.wait(qtbot, lambda a: a[0].settings is not None and a[0].settings.retention_days == 7)
    assert History(recorded_store).settings().retention_days == 7
    qtbot.waitUntil(lambda: "History is off" in dialog.summary.text(), timeout=10_000)


def test_an_export_to_a_folder_that_does_not_exist_is_one_clear_message(
    qtbot, started_ctx, tmp_path, monkeypatch
):
    from faceapp.gui.dialogs.history_dialog import HistoryDialog

    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a[2]))
    dialog = HistoryDialog(started_ctx)
    qtbot.addWidget(dialog)
    dialog.export_csv(tmp_path / "missing" / "h.csv")
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    assert "missing" in shown[0] and "Traceback" not in shown[0]
    assert dialog.export_button.isEnabled()
    assert not (tmp_path / "missing").exists()


def test_events_are_written_in_batches_without_anybody_asking(qtbot, recorded_store):
    from faceapp.gui.history_worker import HistoryWorker

    worker = HistoryWorker(recorded_store, flush_interval_s=0.2)
    recorded = Recorder(worker.recorded)
    worker.start("test-history")
    try:
        event = NewEvent("recognition", "unknown", None, 1.2, 0.8, "camera 0", 3.0)
        worker.queue.add_events([event, event])
        worker.queue.add_events([event])
        assert recorded.wait(qtbot, timeout=10_000) == (3,)  # one write for the three
    finally:
        worker.stop()
    assert len(History(recorded_store).events(decision="unknown")) == 4


def test_a_photo_processed_again_gives_no_second_event(recorded_store):
    from faceapp.core.sources import Frame
    from faceapp.core.types import FaceResult, FrameResult, Match
    from faceapp.session.history_tap import HistoryTap
    from faceapp.session.live import LiveResult

    from .gui_helpers import face_in_middle

    got: list = []
    tap = HistoryTap(got.extend)
    image = np.full((120, 160, 3), 90, np.uint8)
    face = face_in_middle(image)
    ann = recorded_store.find_person("Ann").id
    match = Match("Ann", 0.4, 0.8, True, ann)
    result = FrameResult(0, 0.0, (FaceResult(face, match),))
    tap.set_source(1, "photos", still=True)
    tap(LiveResult(1, Frame(image, 0, 0.0), result, "recognition"))
    tap(
        LiveResult(1, Frame(image, 0, 0.0), result, "recognition")
    )  # a threshold change: same photo
    tap(
        LiveResult(2, Frame(image, 1, 0.5), FrameResult(1, 0.5, result.faces), "recognition")
    )  # old source
    assert len(got) == 1
    assert got[0].source == "photos" and got[0].position is None and got[0].person_id == ann
    assert got[0].crop[:2] == b"\xff\xd8"
    tap(LiveResult(1, Frame(image, 1, 0.5), FrameResult(1, 0.5, result.faces), "recognition"))
    assert len(got) == 2  # the next photo is another appearance
    tap.enabled = False
    tap(LiveResult(1, Frame(image, 2, 1.0), FrameResult(2, 1.0, result.faces), "recognition"))
    assert len(got) == 2


def test_under_a_liveness_challenge_a_claim_is_recorded_as_the_window_shows_it(recorded_store):
    from faceapp.core.liveness import ChallengeState, Step
    from faceapp.core.sources import Frame
    from faceapp.core.types import FaceResult, FrameResult, Match
    from faceapp.session.history_tap import HistoryTap
    from faceapp.session.verdict import Judgement

    from .gui_helpers import face_in_middle, judged

    class Gate:  # judges each result with the state the test sets
        claim = "Ann"
        state: ChallengeState

        def judge(self, result, mode, image=None):
            return Judgement(self.state)

    gate = Gate()
    got: list = []
    tap = HistoryTap(got.extend)
    tap.set_source(1, "camera 0", still=False)
    image = np.full((120, 160, 3), 90, np.uint8)
    ann = recorded_store.find_person("Ann").id
    faces = (FaceResult(face_in_middle(image), Match("Ann", 0.4, 0.8, True, ann), track_id=7),)

    def frame(i):
        tap(judged(gate, 1, Frame(image, i, i / 10), FrameResult(i, i / 10, faces), "verification"))

    gate.state = ChallengeState(Step.FACE_CAMERA, "Look at the camera", track_id=7, frames=1)
    frame(0)
    frame(1)
    assert got == []  # matching, but not accepted while the head turn is asked for
    gate.state = ChallengeState(
        Step.PASSED, "Verified", track_id=7, matched=True, distance=0.45, threshold=0.8
    )
    frame(2)
    frame(3)
    assert [e.decision for e in got] == ["accepted"]
    assert got[0].distance == 0.45  # the verdict's distance, as the panel and box show it
    gate.state = ChallengeState(Step.FAILED, "Too slow", track_id=7, matched=True)
    frame(4)
    assert [e.decision for e in got] == ["accepted", "rejected"]


def test_after_a_gallery_switch_events_go_to_the_new_file(qtbot, recorded_store, tmp_path):
    from faceapp.gui.history_worker import HistoryWorker
    from faceapp.storage.gallery import GalleryStore

    other = GalleryStore(tmp_path / "other.sqlite3")
    other.add_person("Bo")
    before = len(History(recorded_store).events())
    worker = HistoryWorker(recorded_store, flush_interval_s=3600.0)
    worker.start("test-history")
    try:
        seen_here = NewEvent("recognition", "unknown", None, 1.2, 0.8, "camera 0", 3.0)
        seen_there = NewEvent("recognition", "unknown", None, 1.3, 0.8, "camera 1", 4.0)
        worker.queue.add_events([seen_here])
        worker.queue.use_store(other)
        worker.queue.add_events([seen_there, seen_there])
    finally:
        worker.stop()
    assert len(History(recorded_store).events()) == before + 1  # queued before the switch
    assert [e.source for e in History(other).events()] == ["camera 1", "camera 1"]


def test_the_person_filtered_on_leaving_the_gallery_reads_the_history_once(
    qtbot, started_ctx, monkeypatch
):
    from faceapp.gui.dialogs.history_dialog import HistoryDialog

    dialog = HistoryDialog(started_ctx)
    qtbot.addWidget(dialog)
    dialog.person_box.setCurrentIndex(dialog.person_box.findData("Bob"))
    qtbot.waitUntil(lambda: dialog.events_read.settled, timeout=10_000)
    queue = dialog._worker.queue
    asked = []
    request_events = queue.request_events
    monkeypatch.setattr(queue, "request_events", lambda q: asked.append(q) or request_events(q))
    ann = [p for p in started_ctx.people() if p.name == "Ann"]
    monkeypatch.setattr(started_ctx, "people", lambda: ann)  # Bob was deleted
    started_ctx.people_reset.emit()
    assert dialog.person_box.currentData() is None  # back to everybody
    assert [q.name for q in asked] == [None]
    qtbot.waitUntil(lambda: dialog.events_read.settled, timeout=10_000)
