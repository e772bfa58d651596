"""Enrolment jobs without Qt: samples go from the recognition loop straight to the gallery
queue, screened on the way; refused ones wait for the caller's decision."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from faceapp.core.matching import GalleryIndex
from faceapp.core.pipeline import MatchSettings
from faceapp.enrolment import sample_of
from faceapp.session.enrol_jobs import EnrolJobs, Screened, Stored
from faceapp.session.gallery import GalleryCallbacks, GalleryQueue
from faceapp.session.live import EnrolItem, RecognitionLoop
from faceapp.storage.gallery import GalleryStore
from tests.gui.gui_helpers import REFERENCE, fake_pipeline

from .helpers import Calls

#: A white frame: the fake embedder makes it exactly :data:`REFERENCE`.
WHITE = np.full((120, 160, 3), 255, np.uint8)


def _setup(tmp_path: Path, gallery: GalleryIndex):
    calls = Calls()
    store = GalleryStore(tmp_path / "gallery.sqlite3")
    queue = GalleryQueue(store, GalleryCallbacks(edit_finished=calls.recorder("edit")), 3600.0)
    loop = RecognitionLoop(fake_pipeline(), gallery, MatchSettings())
    assert loop.load_model()
    screened: list[Screened] = []
    stored: list[Stored] = []
    jobs = EnrolJobs(loop, queue, screened.append, stored.append)
    queue.start_thread("gallery-test")
    return calls, store, queue, loop, jobs, screened, stored


def test_a_job_nothing_refuses_goes_from_the_recognition_loop_to_the_gallery_queue(tmp_path):
    calls, store, queue, loop, jobs, screened, stored = _setup(tmp_path, GalleryIndex.empty())
    try:
        job = jobs.submit([EnrolItem("Bea", "capture", image=WHITE)])
        loop.step(timeout=0)  # the recognition thread makes, screens and hands on the sample
        ((edit,),) = calls.wait_for("edit")  # written with no call by the front end
    finally:
        queue.stop()
    (done,) = screened
    assert done.job_id == job and done.flagged == () and len(done.verdicts) == 1
    assert [p.name for p in store.people()] == ["Bea"]
    assert stored == []
    jobs.edit_finished(edit)  # the front end has taken the edit in: the job is stored
    (result,) = stored
    assert result.names == ["Bea"] and result.failed == [] and result.outcome is done.outcome


def test_a_look_alike_is_not_stored_until_the_caller_keeps_it(tmp_path):
    ann = GalleryIndex.from_samples([(1, "Ann", REFERENCE)])
    calls, store, queue, loop, jobs, screened, stored = _setup(tmp_path, ann)
    try:
        jobs.submit([EnrolItem("Bea", "capture", image=WHITE)])
        loop.step(timeout=0)
        (asked,) = screened
        assert asked.flagged == (0,) and not asked.verdicts[0].ok
        assert calls.of("edit") == [] and not store.path.exists()
        assert asked.kept([]).samples == ()  # skipped
        jobs.store(asked.kept([0]))  # added anyway
        ((edit,),) = calls.wait_for("edit")
    finally:
        queue.stop()
    jobs.edit_finished(edit)
    assert [p.name for p in store.people()] == ["Bea"] and stored[0].names == ["Bea"]


def test_the_users_decision_stores_only_what_they_keep(tmp_path):
    from faceapp.settings import Settings

    ann = GalleryIndex.from_samples([(1, "Ann", REFERENCE)])
    calls, store, queue, loop, jobs, screened, stored = _setup(tmp_path, ann)
    jobs.follow(Settings(threshold=0.8, stranger_rate=0.05))
    assert jobs._rules == (0.8, 0.05)
    try:
        jobs.submit([EnrolItem("Bea", "capture", image=WHITE)])
        loop.step(timeout=0)
        (asked,) = screened
        jobs.decide(asked, [])  # skipped: nothing to write, the job ends at once
        assert stored[-1].names == [] and calls.of("edit") == []
        jobs.decide(asked, [0])  # added anyway
        ((edit,),) = calls.wait_for("edit")
    finally:
        queue.stop()
    jobs.edit_finished(edit)
    assert [p.name for p in store.people()] == ["Bea"] and stored[-1].names == ["Bea"]


def test_a_cancelled_job_is_reported_and_nothing_is_written(tmp_path):
    calls, store, queue, loop, jobs, screened, stored = _setup(tmp_path, GalleryIndex.empty())
    try:
        job = jobs.submit([EnrolItem("Bea", "capture", image=WHITE)])
        loop.cancel_job(job)
        loop.step(timeout=0)
    finally:
        queue.stop()
    (done,) = screened
    assert done.outcome.cancelled and calls.of("edit") == [] and stored == []


def test_the_tap_and_the_command_line_cut_events_the_same_way():
    """One crop-and-event path: embed only unknown faces, no position for a photo."""
    from faceapp.core.appearances import AppearanceFilter
    from faceapp.core.quality import QualityFigures
    from faceapp.core.types import FaceResult, FrameResult, Match
    from faceapp.session.history_tap import appearance_events

    image = np.full((120, 160, 3), 90, np.uint8)
    face = fake_pipeline().detect(image)[0]
    unknown = Match(None, 0.9, 0.7, False)
    result = FrameResult(0, 0.0, (FaceResult(face, unknown, track_id=1),))
    (appearance,) = AppearanceFilter().update(result, "recognition")
    figures = QualityFigures(150.0, 400.0, 0.05, 3.0)
    embedded = []

    def embed(img, f):
        embedded.append(f)
        return REFERENCE, figures

    (event,) = appearance_events(image, [appearance], "photo.jpg", True, embed=embed)
    assert embedded == [face] and event.position is None and event.crop
    assert event.quality is figures


def test_a_checked_capture_is_screened_and_written_in_one_gallery_operation(tmp_path):
    import threading

    from faceapp.session.capture_check import check_capture

    threads: list[str] = []
    calls, store, queue, loop, jobs, screened, stored = _setup(tmp_path, GalleryIndex.empty())
    rule = jobs._screen  # noqa: SLF001 - record the thread the screening runs in

    def screen(outcome):
        threads.append(threading.current_thread().name)
        return rule(outcome)

    jobs._screen = screen  # noqa: SLF001
    face = loop.pipeline.detect(WHITE)[0]
    checked = check_capture(loop.pipeline, WHITE, face)
    assert not checked.ok and checked.sample is None  # a blank face: nothing to store
    sample = sample_of(loop.pipeline, WHITE, face, "capture")
    try:
        job = jobs.store_checked("Bea", [sample])  # no step of the loop: no job there
        ((edit,),) = calls.wait_for("edit")
    finally:
        queue.stop()
    assert threads == ["gallery-test"] and screened == []
    assert [p.name for p in store.people()] == ["Bea"]
    jobs.edit_finished(edit)
    (result,) = stored
    assert result.names == ["Bea"] and result.outcome.job_id == job


def test_a_checked_capture_of_a_look_alike_waits_for_the_caller(tmp_path):
    ann = GalleryIndex.from_samples([(1, "Ann", REFERENCE)])
    calls, store, queue, loop, jobs, screened, stored = _setup(tmp_path, ann)
    sample = sample_of(loop.pipeline, WHITE, loop.pipeline.detect(WHITE)[0], "capture")
    try:
        jobs.store_checked("Bea", [sample])
        ((refused,),) = calls.wait_for("edit")
        (asked,) = screened
        assert asked.flagged == (0,) and refused.error is not None and not store.people()
        jobs.edit_finished(refused)  # a refusal is no failed write: nothing reported
        assert stored == []
        jobs.store(asked.kept([0]))  # added anyway
        _, (edit,) = calls.wait_for("edit", 2)
    finally:
        queue.stop()
    jobs.edit_finished(edit)
    assert [p.name for p in store.people()] == ["Bea"] and stored[0].names == ["Bea"]
