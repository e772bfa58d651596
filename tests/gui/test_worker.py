"""The capture and recognition workers: frames flow, stops are clean, jobs run; real recognition."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtGui import QImage

from faceapp.core.matching import GalleryIndex
from faceapp.core.pipeline import MatchSettings
from faceapp.core.sources import ImageFolderSource
from faceapp.gui.capture_worker import CaptureWorker
from faceapp.gui.worker import RecognitionWorker
from faceapp.session.live import EnrolItem

from .gui_helpers import (
    REFERENCE,
    CentreDetector,
    GreyEmbedder,
    ListSource,
    Recorder,
    fake_pipeline,
    grey_frames,
    letterboxed_folder,
)

#: Default of the ``recognition`` fixture: a gallery with Ann at ``REFERENCE``.
_ANN = object()


def _index(names=("Ann",)):
    return GalleryIndex.from_samples([(i + 1, name, REFERENCE) for i, name in enumerate(names)])


@pytest.fixture
def recognition(qtbot):
    workers = []

    def make(pipeline, gallery=_ANN, settings=None):
        w = RecognitionWorker(
            pipeline, _index() if gallery is _ANN else gallery, settings or MatchSettings()
        )
        workers.append(w)
        return w

    yield make
    for w in workers:
        w.stop()


@pytest.fixture
def capture(qtbot):
    workers = []

    def make(source, sink=lambda frame: None, ticket=7):
        w = CaptureWorker(source, sink, ticket)
        workers.append(w)
        return w

    yield make
    for w in workers:
        w.stop()


def _ready(state_args):
    return state_args[0] == "ready"


def _started(qtbot, worker, timeout=10_000):
    """Start a recognition worker and wait until its model is ready."""
    states = Recorder(worker.model_state_changed)
    worker.start("test-recognition")
    states.wait(qtbot, _ready, timeout=timeout)


def test_stop_before_start_is_harmless(qtbot):
    w = RecognitionWorker(fake_pipeline(), _index(), MatchSettings())
    w.stop()
    w.stop()
    assert not w.is_running()


def test_recognition_worker_loads_processes_and_stops(qtbot, recognition):
    detector = CentreDetector()
    w = recognition(fake_pipeline(detector))
    results = Recorder(w.result_ready)
    _started(qtbot, w)
    assert detector.prepared
    w.loop.submit_frame(ListSource(grey_frames()).read())  # brightness 40: distance 0.84
    ticket, result, _ = results.wait(qtbot)
    assert ticket == 0
    assert len(result.faces) == 1
    match = result.faces[0].match
    assert (match.name, match.accepted) == ("Ann", True)
    assert match.distance == pytest.approx(1 - 40 / 255, abs=1e-4)
    assert w.loop.last_processed() is not None
    w.stop()
    assert not w.is_running()


def test_model_failure_is_reported_and_jobs_still_finish(qtbot, recognition):
    broken = CentreDetector(fail=OSError("facenet_keras.h5: no such file"))
    w = recognition(fake_pipeline(broken))
    states = Recorder(w.model_state_changed)
    finished = Recorder(w.job_finished)
    w.start("test-recognition")
    state, message = states.wait(qtbot, lambda a: a[0] == "failed")
    assert "no such file" in message
    w.loop.submit_job([EnrolItem("Ann", "x.jpg")])
    _, outcome = finished.wait(qtbot)
    assert outcome.samples == ()
    assert "not available" in outcome.errors[0]


def test_newest_frame_wins_while_busy(qtbot, recognition):
    w = recognition(fake_pipeline(CentreDetector(delay_s=0.3)))
    results = Recorder(w.result_ready)
    _started(qtbot, w)
    source = ListSource(grey_frames(3))
    for _ in range(12):  # far faster than 0.3 s per frame
        w.loop.submit_frame(source.read())
    results.wait(qtbot, lambda a: a[1].index == 11, timeout=5000)
    assert len(results) <= 3  # the frames that came while busy were dropped, not queued


def test_settings_change_reprocesses_the_last_frame(qtbot, recognition):
    w = recognition(fake_pipeline())
    results = Recorder(w.result_ready)
    _started(qtbot, w)
    frame = ListSource([np.full((60, 80, 3), 100, np.uint8)]).read()
    w.loop.submit_frame(frame)
    _, first, _ = results.wait(qtbot)
    assert first.faces[0].match.accepted  # distance 0.61 <= 1.1
    w.loop.set_settings(MatchSettings(threshold=0.5))
    _, second, _ = results.wait(qtbot, lambda a: a[1].faces[0].match.threshold == 0.5)
    assert second.index == frame.index
    assert not second.faces[0].match.accepted


def test_clear_frames_drops_results_of_the_old_source(qtbot, recognition):
    w = recognition(fake_pipeline(CentreDetector(delay_s=0.3)))
    results = Recorder(w.result_ready)
    _started(qtbot, w)
    w.loop.submit_frame(ListSource(grey_frames(1)).read())
    qtbot.waitUntil(lambda: not w.loop.frame_waiting())  # picked up, now being processed
    ticket = w.loop.clear_frames()
    w.loop.submit_frame(ListSource(grey_frames(1)).read())
    results.wait(qtbot, lambda a: a[0] == ticket, timeout=5000)
    assert [a[0] for a in results.calls] == [ticket]


def test_capture_worker_emits_every_frame_and_ends(qtbot, capture):
    got = []
    source = ListSource(grey_frames(3), fps=200.0, count=10)
    w = capture(source, sink=got.append)
    shown = Recorder(w.frame_ready)
    ended = Recorder(w.source_ended)
    w.frame_ready.connect(lambda *a: w.pacing.shown())
    w.start("test-capture")
    assert ended.wait(qtbot) == (7,)
    qtbot.waitUntil(lambda: len(shown) == 10, timeout=2000)
    assert [a[2] for a in shown.calls] == list(range(10))
    assert [f.index for f in got] == list(range(10))
    assert not got[0].image.flags.writeable  # only read-only frames cross threads
    w.stop()
    assert source.closed == 1


def test_capture_worker_drops_display_frames_the_gui_has_not_taken(qtbot, capture):
    source = ListSource(grey_frames(3), fps=500.0, count=20)
    w = capture(source)
    shown = Recorder(w.frame_ready)
    ended = Recorder(w.source_ended)
    w.start("test-capture")  # nobody acknowledges frames: at most two are in flight
    ended.wait(qtbot)
    assert len(shown) == 2
    assert w.pacing.drops == 18
    assert w.loop.frames_read == 20


def test_capture_worker_reports_a_failing_source(qtbot, capture):
    source = ListSource(grey_frames(), fail_after=3, live=False, name="flaky video")
    w = capture(source)
    failed = Recorder(w.source_failed)
    w.start("test-capture")
    assert failed.wait(qtbot) == (7, "flaky video was unplugged")
    w.stop()
    assert source.closed == 1
    assert not w.is_running()


def test_capture_worker_reports_a_lost_camera_and_its_return(qtbot, capture):
    from faceapp.core.reconnect import LinkState

    source = ListSource(grey_frames(), fail_after=3, live=True, name="flaky camera")
    w = capture(source)
    failed, link = Recorder(w.source_failed), Recorder(w.link_changed)
    w.start("test-capture")
    ticket, status = link.wait(qtbot)
    assert ticket == 7 and status.state is LinkState.LOST
    assert status.reason == "flaky camera was unplugged"
    link.wait(qtbot, lambda args: args[1].state is LinkState.LIVE)  # reopened by itself
    w.stop()
    assert len(failed) == 0 and source.opened >= 2 and source.closed >= source.opened
    assert not w.is_running()


def test_capture_worker_stops_without_waiting_for_the_next_frame(qtbot, capture):
    source = ListSource(grey_frames(), fps=0.01)  # the next frame is due in 100 s
    w = capture(source)
    shown = Recorder(w.frame_ready)
    w.start("test-capture")
    shown.wait(qtbot)
    w.stop()  # would read frame 2 after its wait if stop did not cut the wait short
    assert not w.is_running()
    assert w.loop.frames_read == 1 and source.closed == 1


def test_capture_worker_reports_an_unopenable_folder(qtbot, capture, tmp_path):
    w = capture(ImageFolderSource(tmp_path / "missing"))
    failed = Recorder(w.source_failed)
    w.start("test-capture")
    assert "no such folder" in failed.wait(qtbot)[1]


def test_job_can_be_cancelled(qtbot, recognition):
    pipeline = fake_pipeline(embedder=GreyEmbedder(delay_s=0.2))
    w = recognition(pipeline)
    progress = Recorder(w.job_progress)
    finished = Recorder(w.job_finished)
    _started(qtbot, w)
    image = np.full((120, 160, 3), 90, np.uint8)
    image.setflags(write=False)
    face = pipeline.detect(image)[0]
    job = w.loop.submit_job(
        [EnrolItem("Ann", f"frame {i}", image=image, face=face) for i in range(20)]
    )
    progress.wait(qtbot)
    w.loop.cancel_job(job)
    job_id, outcome = finished.wait(qtbot, timeout=5000)
    assert job_id == job
    assert outcome.cancelled
    assert outcome.samples == ()
    assert len(progress) < 20


def test_stop_during_a_model_load_returns_without_waiting_for_it(qtbot, recognition):
    gate = threading.Event()
    detector = CentreDetector(gate=gate)
    w = recognition(fake_pipeline(detector))
    states = Recorder(w.model_state_changed)
    w.start("test-recognition")
    states.wait(qtbot, lambda a: a[0] == "loading")
    w.stop()  # the load blocks until the gate opens: a stop that waited would hang here
    assert not w.is_running()
    assert not gate.is_set() and not w.loop.wait_for_model_load(0)  # still loading, on its own
    gate.set()
    assert w.loop.wait_for_model_load(30)
    assert detector.prepared
    assert [a[0] for a in states.calls] == ["loading"]  # nothing reported after the stop


def test_frames_wait_for_the_first_gallery_snapshot(qtbot, recognition):
    w = recognition(fake_pipeline(), gallery=None)
    results = Recorder(w.result_ready)
    w.loop.submit_frame(ListSource(grey_frames(1)).read())
    assert not w.loop.has_work()  # a frame is no work yet: it would be named "Unknown"
    _started(qtbot, w)
    w.loop.set_gallery(_index(("Bea",)))
    _, result, _ = results.wait(qtbot)
    assert result.faces[0].match.name == "Bea"
    assert len(results) == 1


# -- the real models ------------------------------------------------------------------------


@pytest.mark.model
def test_real_worker_names_enrolled_people_and_stops_clean(
    qtbot, recognition, capture, real_pipeline, demo_store, val_photos, tmp_path
):
    folder = letterboxed_folder(
        tmp_path / "photos", [val_photos["madonna"][0], val_photos["jerry_seinfeld"][2]]
    )
    w = recognition(real_pipeline, gallery=demo_store.index())
    results = Recorder(w.result_ready)
    _started(qtbot, w, timeout=60_000)
    c = capture(ImageFolderSource(folder, fps=4.0, loop=True), sink=w.loop.submit_frame)
    c.frame_ready.connect(lambda *a: c.pacing.shown())
    c.start("test-capture")

    def names():
        return {fr.label for _, r, _ in results.calls for fr in r.faces}

    qtbot.waitUntil(lambda: {"Madonna", "Jerry Seinfeld"} <= names(), timeout=30_000)
    assert "Unknown" not in names()
    c.stop()
    w.stop()
    assert not w.is_running() and not c.is_running()


def test_the_context_takes_results_straight_from_the_recognition_thread(qtbot, store):
    """No window relays results: the context owns the loop, its ticket and the meters."""
    from .gui_helpers import make_ctx

    ctx = make_ctx(store, fake_pipeline())
    shown = Recorder(ctx.current_result_changed)
    ctx.recognition.loop.set_gallery(_index())
    ctx.recognition.start("test-recognition")
    try:
        old = ctx.begin_source("camera 0")
        ctx.recognition.loop.submit_frame(ListSource(grey_frames()).read())
        ctx.publish_frame(QImage(4, 4, QImage.Format.Format_RGB32), 0, 0.0)
        result = shown.wait(qtbot, lambda a: a[0] is not None)[0]
        assert result.faces[0].match.name == "Ann" and ctx.meters.processed.count == 1
        ctx.end_source()  # a result of the ended source is dropped
        assert ctx.ticket != old and ctx.current_result() is None
    finally:
        ctx.recognition.stop()
