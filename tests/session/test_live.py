"""The live loop without Qt: mailbox, stops, judgement with its own result, sources, jobs."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from faceapp.core.liveness import ChallengeState, Step
from faceapp.core.liveness.gate import Judgement
from faceapp.core.matching import GalleryIndex
from faceapp.core.pipeline import MatchSettings
from faceapp.core.sources import Frame, ImageFolderSource
from faceapp.session.live import (
    CaptureLoop,
    EnrolItem,
    LiveResult,
    ModelState,
    RecognitionLoop,
    run_source,
)
from faceapp.session.photos import PhotoLoop
from tests.gui.gui_helpers import (
    REFERENCE,
    CentreDetector,
    ListSource,
    celebrity_photos,
    fake_pipeline,
    grey_frames,
)


def _index(names=("Ann",)) -> GalleryIndex:
    return GalleryIndex.from_samples([(i + 1, name, REFERENCE) for i, name in enumerate(names)])


def _frame(i: int, value: int = 40) -> Frame:
    return Frame(np.full((120, 160, 3), value, np.uint8), i, i / 30)


class Collect:
    """Records the callbacks of a recognition loop."""

    def __init__(self) -> None:
        self.results: list[tuple[int, object, Judgement]] = []
        self.states: list[tuple[str, str]] = []
        self.jobs: list[tuple[int, object]] = []
        self.progress: list[tuple[int, int, int]] = []

    def loop(self, pipeline=None, gallery=None, **kwargs) -> RecognitionLoop:
        return RecognitionLoop(
            pipeline or fake_pipeline(),
            _index() if gallery is None else gallery,
            MatchSettings(),
            on_result=lambda *a: self.results.append(a),
            on_model_state=lambda *a: self.states.append(a),
            on_job_finished=lambda *a: self.jobs.append(a),
            on_job_progress=lambda *a: self.progress.append(a),
            **kwargs,
        )


def test_the_mailbox_keeps_only_the_newest_frame():
    got = Collect()
    loop = got.loop()
    assert loop.load_model()
    for i in range(3):
        loop.submit_frame(_frame(i))
    assert loop.frame_waiting()
    assert loop.step(timeout=0)
    assert [r.index for _, r, _ in got.results] == [2]  # frames 0 and 1 were replaced
    assert not loop.frame_waiting() and not loop.has_work()
    assert got.states == [(ModelState.LOADING, ""), (ModelState.READY, got.states[1][1])]


def test_results_of_an_old_ticket_are_never_published():
    got = Collect()
    loop = got.loop()
    loop.load_model()
    loop.submit_frame(_frame(0))
    ticket = loop.clear_frames(tracking=True)  # a new source: the old frame is dropped
    assert not loop.frame_waiting()
    loop.submit_frame(_frame(1))
    loop.step(timeout=0)
    assert [(t, r.index) for t, r, _ in got.results] == [(ticket, 1)]


def test_a_running_loop_stops_within_one_pass_from_another_thread():
    got = Collect()
    loop = got.loop()
    loop.start_thread("test-recognition")
    loop.submit_frame(_frame(0))
    while not got.results:  # the loop is serving
        threading.Event().wait(0.01)
    loop.stop()  # returns once run() has returned
    assert loop.finished()


def test_a_stop_during_the_model_load_returns_at_once():
    gate = threading.Event()
    detector = CentreDetector(gate=gate)
    loop = Collect().loop(fake_pipeline(detector))
    loop.start_thread("test-recognition")
    loop.stop()
    assert loop.finished() and not loop.wait_for_model_load(0)
    gate.set()
    assert loop.wait_for_model_load(30)


class CountingGate:
    """A liveness gate whose state after result N says N results were fed."""

    claim = "Ann"

    def __init__(self) -> None:
        self.fed = 0

    def judge(self, result, mode, image=None) -> Judgement:
        self.fed += 1
        state = ChallengeState(Step.FACE_CAMERA, "Look at the camera", frames=self.fed)
        return Judgement(state)


def test_the_tap_and_the_window_judge_result_n_with_the_state_after_result_n():
    """The gate judges in the recognition thread; its judgement travels with its result."""
    got = Collect()
    tapped: list[LiveResult] = []
    loop = got.loop(gate=CountingGate())
    loop.add_tap(tapped.append)
    loop.load_model()
    for i in range(4):
        loop.submit_frame(_frame(i))
        loop.step(timeout=0)
    assert [live.judgement.challenge.frames for live in tapped] == [1, 2, 3, 4]
    assert [j for _, _, j in got.results] == [live.judgement for live in tapped]
    assert all(live.claim == "Ann" for live in tapped)
    # The tap saw each result with its own frame, before on_result.
    assert [live.frame.index for live in tapped] == [r.index for _, r, _ in got.results]


def test_a_failing_tap_does_not_stop_recognition():
    got = Collect()
    loop = got.loop()

    def broken(live: LiveResult) -> None:
        raise RuntimeError("a bug in a tap")

    loop.add_tap(broken)
    loop.load_model()
    loop.submit_frame(_frame(0))
    loop.step(timeout=0)
    assert len(got.results) == 1


def test_a_failing_source_reports_once_and_is_closed():
    failures: list[str] = []
    ended: list[bool] = []
    source = ListSource(grey_frames(), fail_after=2)
    frames: list[Frame] = []
    capture = CaptureLoop(
        source,
        frames.append,
        on_failed=failures.append,
        on_ended=lambda: ended.append(True),
        paced=False,
    )
    capture.run()
    assert failures == ["fake was unplugged"] and not ended
    assert [f.index for f in frames] == [0, 1]
    assert source.closed == 1
    assert not frames[0].image.flags.writeable  # handed on read-only


def test_an_unopenable_source_reports_once(tmp_path):
    failures: list[str] = []
    capture = CaptureLoop(ImageFolderSource(tmp_path / "nowhere"), print, on_failed=failures.append)
    capture.run()
    assert len(failures) == 1


def test_a_paced_capture_stops_without_waiting_for_the_next_frame():
    source = ListSource(grey_frames(), fps=0.01)  # a frame every 100 s
    frames: list[Frame] = []
    capture = CaptureLoop(source, frames.append)
    capture.start_thread("test-capture")
    while not frames:
        threading.Event().wait(0.01)
    capture.stop()
    assert capture.finished() and source.closed == 1


def test_enrolment_jobs_run_between_frames_and_can_be_cancelled():
    got = Collect()
    loop = got.loop()
    loop.load_model()
    image = np.full((120, 160, 3), 40, np.uint8)
    job = loop.submit_job([EnrolItem("Bea", "capture", image=image)] * 2)
    cancelled = loop.submit_job([EnrolItem("Cid", "capture", image=image)])
    loop.cancel_job(cancelled)
    loop.submit_frame(_frame(0))
    loop.step(timeout=0)  # the job first
    loop.step(timeout=0)  # then the cancelled one
    loop.step(timeout=0)  # then the frame
    (jid, outcome), (cid, dropped) = got.jobs
    assert jid == job and [name for name, _ in outcome.samples] == ["Bea", "Bea"]
    assert got.progress == [(job, 1, 2), (job, 2, 2)]
    assert cid == cancelled and dropped.cancelled and dropped.samples == ()
    assert len(got.results) == 1


def test_run_source_processes_every_frame_of_a_file_when_lossless():
    got = Collect()
    loop = got.loop()
    source = ListSource(grey_frames(), count=12)
    capture = CaptureLoop(source, lambda frame: loop.submit_frame(frame, wait=True), paced=False)
    run_source(capture, loop)
    assert [r.index for _, r, _ in got.results] == list(range(12))
    assert loop.finished() and capture.finished() and source.closed == 1


def test_a_photo_loop_waits_for_each_photo_to_be_processed(tmp_path):
    import cv2

    for i in range(3):
        cv2.imwrite(str(tmp_path / f"{i}.png"), np.full((60, 80, 3), 50 * i, np.uint8))
    shown: list[int] = []
    done: list[int] = []
    frames: list[Frame] = []

    def sink(frame: Frame) -> None:
        frames.append(frame)
        photos.mark_processed(frame.index)  # processed at once

    photos = PhotoLoop(
        ImageFolderSource(tmp_path, loop=False),
        sink,
        min_interval_s=0.0,
        on_shown=lambda i, n, path: shown.append(i),
        on_done=lambda n: (done.append(n), photos.stop()),
    )
    photos.run()
    assert shown == [0, 1, 2] and done == [3]
    assert [f.index for f in frames] == [0, 1, 2]


@pytest.mark.parametrize("tracking", [True, False])
def test_the_real_model_names_a_celebrity_through_the_loop(celebrity_dir, pipeline, tracking):
    """The same loop as the window's, driven here in the calling thread, real photos."""
    from faceapp.core.images import load_image
    from faceapp.core.pipeline import FacePipeline, central_face

    photos = celebrity_photos("val")
    names = sorted(photos)[:2]
    samples = []
    for k, name in enumerate(names):
        image = load_image(photos[name][0])
        face = central_face(pipeline.detect(image), image.shape[1], image.shape[0])
        samples.append((k + 1, name, pipeline.embed(image, [face])[0]))
    gallery = GalleryIndex.from_samples(samples)
    probe = load_image(photos[names[1]][1])
    got = Collect()
    loop = got.loop(FacePipeline(pipeline.detector, pipeline.embedder), gallery)
    loop.clear_frames(tracking=tracking)
    source = ListSource([probe], count=3)
    capture = CaptureLoop(source, lambda f: loop.submit_frame(f, wait=True), paced=False)
    run_source(capture, loop)
    labels = {fr.label for _, r, _ in got.results for fr in r.faces}
    assert names[1] in labels and names[0] not in labels


def test_a_judgement_made_before_a_reset_is_stale():
    """A result judged before "Try again" (or a source's end) must not show its verdict."""
    from faceapp.core.liveness.gate import LivenessGate

    gate = LivenessGate()
    gate.configure("Ann", enabled=True)
    before = gate.judgement()
    assert gate.is_current(before)
    gate.reset()
    assert not gate.is_current(before) and gate.is_current(gate.judgement())


def test_a_capture_job_stores_the_dialogs_quality_figures_without_measuring_again(monkeypatch):
    from faceapp import enrolment
    from faceapp.core.quality import QualityFigures

    def measured_again(*_a):
        raise AssertionError("assess_face ran a second time on the same face")

    got = Collect()
    loop = got.loop()
    loop.load_model()
    image = np.full((120, 160, 3), 90, np.uint8)
    face = loop.pipeline.detect(image)[0]
    figures = QualityFigures(150.0, 400.0, 0.05, 3.0)
    monkeypatch.setattr(enrolment, "assess_face", measured_again)
    finished: list[object] = []
    job = loop.submit_job(
        [EnrolItem("Bea", "capture", image=image, face=face, quality=figures)], finished.append
    )
    loop.step(timeout=0)
    (outcome,) = finished  # reported to the job's own callback, not on_job_finished
    assert outcome.job_id == job and got.jobs == []
    assert outcome.samples[0][1].quality is figures
