"""RecognitionWorker: loads the models, recognises the newest frame and runs enrolment jobs."""

from __future__ import annotations

import enum
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PySide6.QtCore import Signal

from faceapp.core.live import LiveSettings
from faceapp.core.matching import GalleryIndex, Mode
from faceapp.core.pipeline import FacePipeline, MatchSettings
from faceapp.core.sources import Frame
from faceapp.core.tracking import FaceTracker
from faceapp.core.types import Face, FrameResult
from faceapp.enrolment import PreparedSample
from faceapp.gui.loop_worker import LoopWorker

log = logging.getLogger(__name__)

#: Serialises ``FacePipeline.prepare()`` calls: a load left running by a stopped worker
#: and the load of a new worker on the same pipeline must not run at the same time.
_PREPARE_LOCK = threading.Lock()


class ModelState(str, enum.Enum):
    """State of the face models, as ``RecognitionWorker.model_state_changed`` reports it."""

    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True)
class EnrolItem:
    """One photo or captured frame to turn into a gallery sample.

    Parameters
    ----------
    name : str
        Who it is.
    source : str
        Where it came from, stored with the sample (file path, "capture", ...).
    path : Path, optional
        Photo file to load; used when ``image`` is None.
    image : ndarray, optional
        BGR frame (read-only); used instead of ``path``.
    face : Face, optional
        The face to enrol in ``image``; when None the largest detected face is used.
    """

    name: str
    source: str
    path: Path | None = None
    image: np.ndarray | None = field(default=None, repr=False, compare=False)
    face: Face | None = None


@dataclass(frozen=True)
class EnrolOutcome:
    """What an enrolment job produced.

    Parameters
    ----------
    job_id : int
    samples : tuple of (str, PreparedSample)
        Who and the sample, one per usable item, in order (empty when cancelled).
    errors : tuple of str
        One user-facing sentence per unusable item (bad file, no face...).
    cancelled : bool
        True when the job was cancelled; nothing should be stored then.
    failed : tuple of int
        The position in the job's items of each unusable item, parallel to ``errors``.
    """

    job_id: int
    samples: tuple[tuple[str, PreparedSample], ...]
    errors: tuple[str, ...]
    cancelled: bool = False
    failed: tuple[int, ...] = ()


@dataclass
class _Job:
    job_id: int
    items: tuple[EnrolItem, ...]
    cancel: threading.Event = field(default_factory=threading.Event)


#: What :meth:`RecognitionWorker.set_result_tap` takes: ``(epoch, frame, result, mode,
#: gallery)``, ``gallery`` being the snapshot the result was matched with.
ResultTap = Callable[[int, Frame, FrameResult, Mode, GalleryIndex], None]


def _tracker_for(mode: Mode, live: LiveSettings | None = None) -> FaceTracker:
    """Return the tracker for a continuous source in ``mode`` (``live``: recognition's).

    Recognition follows faces in the tracker's frugal live mode (:mod:`faceapp.core.live`).
    Verification detects every frame: its liveness challenge reads the landmarks of each
    frame, as it was measured (``docs/liveness.md``), and a claim is a short interaction.
    """
    if mode == "verification":
        return FaceTracker(live=None)
    return FaceTracker(live=live or LiveSettings())


class RecognitionWorker(LoopWorker):
    """Loads the models, then recognises faces in the newest frame and runs enrolment jobs.

    Why two worker threads (capture and recognition), and not one
    -----------------------------------------------------------------
    Detection and embedding take 100-500 ms per frame on two CPU cores (tens of ms
    when a tracked face needs no new embedding), while a camera or a video delivers a
    frame every 33-40 ms.  With one thread the display would stall for each inference
    and drop to the inference rate.  So :class:`CaptureWorker` reads the source at its
    own rate, emits every frame for display and drops it into this worker's one-slot
    mailbox (:meth:`submit_frame`), replacing any frame not yet picked up; this worker
    loads the models (``pipeline.prepare()``: seconds of TensorFlow start-up, never on
    the GUI thread), then repeatedly takes the *newest* frame and runs
    ``pipeline.process`` on it.  Frames that arrive while it is busy are dropped for
    processing, never queued, so the latency stays one inference.  Both follow the same
    pattern (:class:`LoopWorker`): a ``QObject`` moved to its own ``QThread`` with a
    stop flag checked on every pass and a ``stop()`` that waits.  A source switch
    restarts only the capture worker, so the models stay loaded.  Enrolment jobs run
    in this thread between frames, because the pipeline is not thread-safe.  Only
    immutable values cross threads: read-only frames, frozen results and settings, and
    :class:`GalleryIndex` snapshots.

    Loading the models is one blocking call (TensorFlow's start-up) that no flag can
    interrupt, so it runs in a helper thread of its own while this worker waits for
    it *or* for :meth:`stop`: closing the window during the load returns at once, and
    the load finishes in the background (:meth:`wait_for_model_load` waits for it;
    the application does so before exiting).

    Parameters
    ----------
    pipeline : FacePipeline
        Used from the worker thread only while the worker runs (and by the loading
        thread while it loads).
    gallery : GalleryIndex or None
        Initial gallery snapshot; None when it is still being read: frames then wait
        (only the newest is kept) until :meth:`set_gallery` brings one.
    settings : MatchSettings
        Initial matching settings.

    Notes
    -----
    The public methods other than ``start``/``stop`` are thread-safe and never block
    for longer than a lock held for a few assignments; the loop picks up what they set.
    """

    #: Emitted from the recognition thread with ``(state, message)``: a :class:`ModelState`;
    #: the message is the seconds it took when ready, or why it failed.
    model_state_changed = Signal(str, str)
    #: Emitted from the recognition thread with the frame epoch (see
    #: :meth:`clear_frames`) and a :class:`FrameResult`.
    result_ready = Signal(int, object)
    #: Emitted from the recognition thread: job id, items done, items in the job.
    job_progress = Signal(int, int, int)
    #: Emitted from the recognition thread with the job id and its :class:`EnrolOutcome`.
    job_finished = Signal(int, object)
    #: Emitted from the recognition thread when processing a frame failed (message).
    error = Signal(str)

    def __init__(
        self, pipeline: FacePipeline, gallery: GalleryIndex | None, settings: MatchSettings
    ) -> None:
        super().__init__()
        self._pipeline = pipeline
        self._cond = threading.Condition()
        self._gallery = gallery
        self._loader: threading.Thread | None = None
        self._settings = settings
        self._pending: Frame | None = None
        self._last: tuple[Frame, FrameResult] | None = None
        self._dirty = False
        self._jobs: deque[_Job] = deque()
        self._job_ids = itertools.count(1)
        self._running_job: _Job | None = None
        self._model_ok = False
        self._epoch = 0
        self._tracking = False
        self._live = LiveSettings()
        self._configured: tuple[int, Mode, LiveSettings] | None = None
        self.frames_processed = 0
        self._tap: ResultTap | None = None

    # -- thread-safe inputs ----------------------------------------------------------

    def submit_frame(self, frame: Frame) -> None:
        """Offer a frame for processing, replacing one not yet picked up (any thread)."""
        with self._cond:
            self._pending = frame
            self._cond.notify_all()

    def set_gallery(self, gallery: GalleryIndex) -> None:
        """Use a new gallery snapshot from the next frame on (any thread).

        When no new frame comes, the last frame is processed again so that the
        change shows at once.
        """
        with self._cond:
            self._gallery = gallery
            self._dirty = True
            self._cond.notify_all()

    def set_settings(self, settings: MatchSettings) -> None:
        """Match with new settings from the next frame on (any thread); see set_gallery."""
        with self._cond:
            self._settings = settings
            self._dirty = True
            self._cond.notify_all()

    def set_min_face(self, px: float) -> None:
        """Look for faces of at least ``px`` pixels in live recognition (any thread).

        The tracker is rebuilt with the new :class:`~faceapp.core.live.LiveSettings` on
        the next frame (the faces in view are named again).
        """
        with self._cond:
            if px != self._live.min_face_px:
                self._live = LiveSettings(min_face_px=float(px))
                self._dirty = True
                self._cond.notify_all()

    def clear_frames(self, tracking: bool = False) -> int:
        """Forget the pending and the last processed frame (when the source changes).

        Parameters
        ----------
        tracking : bool
            Follow faces across the coming frames with a new
            :class:`~faceapp.core.tracking.FaceTracker` (for cameras and videos: faces
            are re-embedded only every so often and named by a vote); False for
            slideshows, whose consecutive frames are unrelated pictures.  The tracker is
            installed on the pipeline by the worker thread itself.

        Returns
        -------
        int
            The new epoch: results of frames submitted before the call carry an older
            one (and a frame being processed during the call yields no result).
        """
        with self._cond:
            self._pending = None
            self._last = None
            self._epoch += 1
            self._tracking = tracking
            return self._epoch

    def last_processed(self) -> tuple[Frame, FrameResult] | None:
        """Return the newest processed frame and its result, or None (any thread)."""
        with self._cond:
            return self._last

    def submit_job(self, items: Sequence[EnrolItem]) -> int:
        """Queue an enrolment job and return its id; ``job_finished`` reports the outcome."""
        job = _Job(next(self._job_ids), tuple(items))
        with self._cond:
            self._jobs.append(job)
            self._cond.notify_all()
        return job.job_id

    def cancel_job(self, job_id: int) -> None:
        """Cancel a queued or running job; it finishes soon with ``cancelled=True``."""
        with self._cond:
            for job in (*self._jobs, self._running_job):
                if job is not None and job.job_id == job_id:
                    job.cancel.set()

    def set_result_tap(self, tap: ResultTap | None) -> None:
        """Call ``tap(epoch, frame, result, mode, gallery)`` here with each published result.

        Set it before :meth:`start`.  The tap sees the frame (read-only) while it is at
        hand, e.g. to cut face crops; it must be quick and must not keep the frame.  It
        runs before ``result_ready`` is emitted, so what it judges about a result (the
        liveness challenge, see :class:`~faceapp.gui.history_tap.HistoryTap`) is known
        when the window shows that result.
        """
        self._tap = tap

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    # -- the loop ----------------------------------------------------------------------

    def wait_for_model_load(self, timeout: float | None = None) -> bool:
        """Wait until a model load still running after :meth:`stop` has finished.

        Returns True when no load is running (any more), False after ``timeout`` seconds.
        """
        loader = self._loader
        if loader is not None:
            loader.join(timeout)
            return not loader.is_alive()
        return True

    def _has_work(self) -> bool:
        if self._jobs:
            return True
        if self._gallery is None:
            return False  # frames wait for the first snapshot
        return self._pending is not None or (self._dirty and self._last is not None)

    def _loop(self) -> None:
        if not self._load_model():
            return
        while True:
            with self._cond:
                while not (self.stopping() or self._has_work()):
                    self._cond.wait(0.5)
                if self.stopping():
                    return
                job = self._jobs.popleft() if self._jobs else None
                self._running_job = job
                frame: Frame | None = None
                if job is None:
                    if self._pending is not None:
                        frame, self._pending = self._pending, None
                    elif self._last is not None:
                        frame = self._last[0]
                    self._dirty = False
                gallery, settings, epoch = self._gallery, self._settings, self._epoch
                tracking, live = self._tracking, self._live
            if job is not None:
                try:
                    self._run_job(job)
                finally:
                    with self._cond:
                        self._running_job = None
            elif frame is not None and gallery is not None and self._model_ok:
                if (epoch, settings.mode, live) != self._configured:
                    tracker = _tracker_for(settings.mode, live) if tracking else None
                    self._pipeline.tracker = tracker
                    self._configured = (epoch, settings.mode, live)
                self._process(frame, gallery, settings, epoch)

    def _load_model(self) -> bool:
        """Load the models in a helper thread; return False when stopped meanwhile."""
        self.model_state_changed.emit(ModelState.LOADING, "")
        start = time.perf_counter()
        outcome: list[Exception | None] = []

        def load() -> None:
            error: Exception | None = None
            try:
                with _PREPARE_LOCK:
                    self._pipeline.prepare()
            except Exception as exc:
                error = exc
            with self._cond:
                outcome.append(error)
                self._cond.notify_all()

        self._loader = threading.Thread(target=load, name="faceapp-model-load", daemon=True)
        self._loader.start()
        with self._cond:
            while not outcome and not self.stopping():
                self._cond.wait(0.5)
            if not outcome:
                log.info("stopped while the face models load; the load ends on its own")
                return False
        error = outcome[0]
        if error is not None:
            log.error("loading the face models failed", exc_info=error)
            self.model_state_changed.emit(ModelState.FAILED, f"{type(error).__name__}: {error}")
            return True
        self._model_ok = True
        seconds = time.perf_counter() - start
        log.info("face models ready in %.1f s", seconds)
        self.model_state_changed.emit(ModelState.READY, f"{seconds:.1f}")
        return True

    def _process(
        self, frame: Frame, gallery: GalleryIndex, settings: MatchSettings, epoch: int
    ) -> None:
        try:
            result = self._pipeline.process(
                frame.image, gallery, settings, index=frame.index, timestamp=frame.timestamp
            )
        except Exception as exc:
            log.exception("processing frame %d failed", frame.index)
            self.error.emit(f"Recognition failed on a frame: {exc}")
            self._sleep(0.5)  # do not spin on a frame type the engine cannot handle
            return
        with self._cond:
            if epoch != self._epoch:
                return  # the source changed meanwhile
            self._last = (frame, result)
        self.frames_processed += 1
        if self._tap is not None:
            try:
                self._tap(epoch, frame, result, settings.mode, gallery)
            except Exception:  # the history must never stop recognition
                log.exception("the result tap failed on frame %d", frame.index)
        self.result_ready.emit(epoch, result)

    def _run_job(self, job: _Job) -> None:
        from faceapp.core.images import ImageError, load_image
        from faceapp.enrolment import EnrolmentError, prepare_sample, sample_of

        samples: list[tuple[str, PreparedSample]] = []
        errors: list[str] = []
        failed: list[int] = []
        total = len(job.items)
        for done, item in enumerate(job.items, start=1):
            if job.cancel.is_set() or self.stopping():
                self.job_finished.emit(job.job_id, EnrolOutcome(job.job_id, (), (), True))
                return
            if not self._model_ok:
                errors.append(f"{item.source}: the face model is not available")
                failed.append(done - 1)
                continue
            try:
                image = item.image if item.image is not None else load_image(item.path or "")
                if item.face is not None:
                    sample = sample_of(self._pipeline, image, item.face, item.source)
                else:
                    sample = prepare_sample(self._pipeline, image, item.source, largest=True)
                samples.append((item.name, sample))
            except (ImageError, EnrolmentError) as exc:
                errors.append(str(exc))
                failed.append(done - 1)
            except Exception as exc:
                log.exception("enrolling %s failed", item.source)
                errors.append(f"{item.source}: {exc}")
                failed.append(done - 1)
            self.job_progress.emit(job.job_id, done, total)
        cancelled = job.cancel.is_set()
        outcome = EnrolOutcome(
            job.job_id,
            () if cancelled else tuple(samples),
            tuple(errors),
            cancelled,
            tuple(failed),
        )
        self.job_finished.emit(job.job_id, outcome)
