"""A folder of photos as the source: every photo processed once, stepping, the results table."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from PySide6.QtCore import QEvent, QObject

from faceapp.core.sources import ImageFolderSource, open_source
from faceapp.session.photo_results import COLUMNS, read_csv

from .gui_helpers import (
    CentreDetector,
    ListSource,
    celebrity_photos,
    fake_pipeline,
    grey_frames,
    letterboxed_folder,
    make_ctx,
)

needs_photos = pytest.mark.skipif(
    not celebrity_photos("val"), reason="the 5-celebrity photos are absent"
)

#: Enrolled in the real-model tests; the other two people of the set are not.
ENROLLED = ("Ben Afflek", "Madonna", "Mindy Kaling")


def _interleaved(val_photos, indices=(0,)) -> list[tuple[str, object]]:
    """``[(display name, photo)]``: one photo of each person in turn, so neighbours differ."""
    out = []
    for i in indices:
        for folder, photos in val_photos.items():
            out.append((folder.replace("_", " ").title(), photos[i]))
    return out


@pytest.fixture
def three_people_store(store, real_pipeline):
    """Three of the five people enrolled, each from their first three train photos."""
    from faceapp.core.images import load_image
    from faceapp.enrolment import prepare_sample

    for folder, photos in celebrity_photos("train").items():
        name = folder.replace("_", " ").title()
        if name in ENROLLED:
            samples = [prepare_sample(real_pipeline, load_image(p), str(p)) for p in photos[:3]]
            store.add_samples(name, [(s.embedding, s.thumbnail, s.source) for s in samples])
    return store


class _PaintSpy(QObject):
    """Records ``(index of the frame on screen, result overlaid)`` at every paint of a view."""

    def __init__(self, view, shown: list[int]) -> None:
        super().__init__(view)
        self.calls: list[tuple[int, object]] = []
        self._view, self._shown = view, shown
        view.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.Paint and self._view.image() is not None:
            self.calls.append((self._shown[-1], self._view.visible_result()))
        return False


def _cold_pipeline(gate: threading.Event):
    """A new real pipeline whose model load waits for ``gate`` (a slow cold start)."""
    from faceapp.core.pipeline import FacePipeline

    pipeline = FacePipeline()
    load = pipeline.detector.prepare

    def prepare() -> None:
        if not gate.wait(60):
            raise TimeoutError("the test never opened the gate")
        load()

    pipeline.detector.prepare = prepare  # type: ignore[method-assign]
    return pipeline


@pytest.mark.model
def test_cold_start_processes_every_photo_once_and_names_the_enrolled_people(
    qtbot, make_window, three_people_store, real_pipeline, val_photos, tmp_path
):
    # Photos 0 and 2 of each person: both of Madonna's are named at the default threshold
    # (her photos 1 and 3 are not, 1.10 and 1.04 from her nearest sample).
    people = _interleaved(val_photos, (0, 2))
    folder = letterboxed_folder(tmp_path / "photos", [p for _, p in people])
    gate = threading.Event()
    ctx = make_ctx(three_people_store, _cold_pipeline(gate), photo_interval_s=0.0)
    shown: list[int] = []  # index of each frame put on screen, in order
    ctx.frame_ready.connect(lambda _img, index, _ts: shown.append(index))
    results = []
    ctx.result_ready.connect(results.append)
    window = make_window(ctx, str(folder))
    painted = _PaintSpy(window.video_view, shown)
    run = window.photos
    # The first photo is on screen while the model still loads; then let it load.
    qtbot.waitUntil(lambda: len(shown) >= 1, timeout=10_000)
    qtbot.wait(300)
    assert ctx.model_state == "loading" and shown == [0] and not results
    gate.set()
    with qtbot.waitSignal(run.run_finished, timeout=120_000):
        pass
    qtbot.waitUntil(lambda: run.dialog.rows()[-1].processed, timeout=10_000)

    n = len(people)
    # Every photo processed exactly once (one visit each), in order, none skipped.
    assert [r.index for r in results] == list(range(n))
    assert Counter(shown) == Counter(range(n))
    assert window.worker.loop.frames_processed == n
    assert ctx.pipeline.tracker is None  # each photo is a scene of its own
    rows = run.dialog.rows()
    assert [r.position for r in rows] == list(range(n))
    assert all(r.processed and r.faces and r.faces >= 1 for r in rows)
    for row, (name, _photo) in zip(rows, people, strict=True):
        if name in ENROLLED:
            assert row.names[0] == name, row
            assert row.distances[0] is not None and row.distances[0] < 1.0
        else:
            assert name not in row.names
    # What was painted with photo N was photo N's result, never N-1's label.
    seen = [(i, r) for i, r in painted.calls if r is not None]
    assert {i for i, _ in seen} == set(range(n)), "not every photo was painted with its result"
    for index, result in seen:
        assert result.index == index
        labels = {f.label for f in result.faces} - {"Unknown"}
        person = people[index][0]
        assert labels <= {person}, (index, labels)
        if index > 0 and people[index - 1][0] in ENROLLED:
            assert people[index - 1][0] not in labels

    # The table as CSV, parsed back: the same rows.
    out = tmp_path / "results.csv"
    assert run.dialog.export_csv(out)
    assert read_csv(out) == [r.cells() for r in rows]
    assert out.read_text(encoding="utf-8").splitlines()[0] == ",".join(COLUMNS)
    assert read_csv(out)[0][0] == "000.png"


def _wait_position(qtbot, window, position: int) -> None:
    qtbot.waitUntil(lambda: window.photos.player.photo_loop.position() == position, timeout=10_000)
    rows = window.photos.dialog.rows
    qtbot.waitUntil(lambda: len(rows()) > position and rows()[position].processed, timeout=10_000)


@needs_photos
def test_pause_next_previous_and_double_click_step_through_the_photos(
    qtbot, make_window, store, val_photos, tmp_path
):
    people = _interleaved(val_photos)
    folder = letterboxed_folder(tmp_path / "photos", [p for _, p in people])
    ctx = make_ctx(store, fake_pipeline(), photo_interval_s=60.0)
    window = make_window(ctx, ImageFolderSource(folder))
    chrome, run = window.chrome, window.photos
    assert chrome.next_photo_action.isVisible() and chrome.prev_photo_action.isEnabled()
    _wait_position(qtbot, window, 0)
    qtbot.wait(300)
    assert run.player.photo_loop.position() == 0  # held for the interval (60 s), processed or not

    chrome.pause_action.setChecked(True)  # Space still pauses a folder
    chrome.next_photo_action.trigger()
    _wait_position(qtbot, window, 1)
    chrome.next_photo_action.trigger()
    _wait_position(qtbot, window, 2)
    chrome.prev_photo_action.trigger()
    _wait_position(qtbot, window, 1)
    run.dialog.table.cellDoubleClicked.emit(4, 0)
    _wait_position(qtbot, window, 4)
    assert run.dialog.table.currentRow() == 4
    assert ctx.current_result() is not None and ctx.current_result().index == 4
    chrome.next_photo_action.trigger()  # past the last photo: it stays
    qtbot.wait(300)
    assert run.player.photo_loop.position() == 4
    assert [r.processed for r in run.dialog.rows()] == [True, True, True, False, True]

    # Paused with a short interval: the photo stays; resumed, the player moves on.
    run.dialog.interval_box.setValue(0.0)
    assert ctx.settings.photo_interval_s == 0.0
    chrome.prev_photo_action.trigger()
    _wait_position(qtbot, window, 3)
    qtbot.wait(300)
    assert run.player.photo_loop.position() == 3
    with qtbot.waitSignal(run.run_finished, timeout=10_000):
        chrome.pause_action.setChecked(False)
    assert run.player.photo_loop.position() == 4

    # A source that is not photos hides the photo actions.
    window.open_source(ListSource(grey_frames(), fps=25.0, name="grey"))
    assert not chrome.next_photo_action.isVisible()


@needs_photos
def test_photos_still_advance_when_the_model_failed(
    qtbot, make_window, store, val_photos, tmp_path
):
    folder = letterboxed_folder(tmp_path / "photos", [p for _, p in _interleaved(val_photos)])
    pipeline = fake_pipeline(CentreDetector(fail=RuntimeError("no weights")))
    ctx = make_ctx(store, pipeline, photo_interval_s=0.0)
    window = make_window(ctx, str(folder))
    with qtbot.waitSignal(window.photos.run_finished, timeout=20_000) as done:
        pass
    assert done.args == [5]
    assert not any(r.processed for r in window.photos.dialog.rows())


@needs_photos
def test_a_single_image_is_a_source_of_one_photo(tmp_path, val_photos):
    photo = val_photos["madonna"][0]
    source = open_source(str(photo))
    assert isinstance(source, ImageFolderSource)
    source.open()
    assert source.photos == (photo,)
    assert source.photo(0).shape[2] == 3
    with pytest.raises(IndexError):
        source.photo(1)


def test_export_failure_is_one_message(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from faceapp.gui.dialogs.photo_results_dialog import PhotoResultsDialog
    from faceapp.session.photo_results import PhotoRow

    dialog = PhotoResultsDialog([], 1.0)
    qtbot.addWidget(dialog)
    dialog.reset(str(tmp_path), [PhotoRow(0, "a.jpg", 1, ("Ann",), (0.4,))])
    said = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: said.append(a[2]))
    assert not dialog.export_csv(tmp_path / "missing" / "out.csv")
    assert len(said) == 1 and said[0].startswith("Could not write out.csv")


@needs_photos
def test_an_unreadable_photo_gets_a_row_saying_so_and_the_run_goes_on(
    qtbot, make_window, store, val_photos, tmp_path
):
    folder = letterboxed_folder(tmp_path / "photos", [p for _, p in _interleaved(val_photos)])
    (folder / "002.png").write_bytes(b"not a picture")
    ctx = make_ctx(store, fake_pipeline(), photo_interval_s=0.0)
    window = make_window(ctx, str(folder))
    with qtbot.waitSignal(window.photos.run_finished, timeout=20_000):
        pass
    qtbot.waitUntil(lambda: window.photos.dialog.rows()[-1].processed, timeout=10_000)
    rows = window.photos.dialog.rows()
    assert [r.faces for r in rows] == [1, 1, None, 1, 1]
    assert rows[2].error.startswith("unreadable:") and rows[2].cells()[0] == "002.png"
