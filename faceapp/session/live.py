"""The live loop: a source read at its own rate into a newest-frame mailbox, and recognition."""

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

from faceapp.core.live import LiveSettings
from faceapp.core.liveness.gate import NO_CHECK, Judgement, LivenessGate
from faceapp.core.matching import GalleryIndex, Mode
from faceapp.core.pipeline import FacePipeline, MatchSettings
from faceapp.core.quality import QualityFigures
from faceapp.core.reconnect import LinkState, LinkStatus, ReconnectingSource
from faceapp.core.sources import Frame, FrameSource, SourceError
from faceapp.core.tracking import FaceTracker
from faceapp.core.types import Face, FrameResult, as_readonly
from faceapp.enrolment import PreparedSample
from faceapp.session.runner import Runner, ignore

log = logging.getLogger(__name__)

#: A file source more than this many seconds behind its schedule stops catching up
#: (the schedule restarts from the current frame) instead of racing through frames.
MAX_LAG_S = 0.5

#: Seconds a paused capture loop sleeps between looks at its flags.
PAUSE_POLL_S = 0.05

#: Seconds the recognition loop waits after a frame the engine could not process, so
#: that a frame type it cannot handle does not make it spin.
ERROR_BACKOFF_S = 0.5

#: Serialises ``FacePipeline.prepare()`` calls: a load left running by a stopped loop
#: and the load of a new loop on the same pipeline must not run at the same time.
_PREPARE_LOCK = threading.Lock()


class ModelState(str, enum.Enum):
    """State of the face models, as :class:`RecognitionLoop` reports it."""

    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"


# -- capture ---------------------------------------------------------------------------


class CaptureLoop(Runner):
    """Reads a frame source at its own rate and hands every frame to ``sink``.

    Files are paced at their frame rate (a frame is handed on when it is due, see
    :data:`MAX_LAG_S`) unless ``paced`` is False; cameras pace themselves.  The loop
    opens the source in its own thread, reports it with ``on_opened``, and ends after
    the source's last frame (``on_ended``) or its first failure (``on_failed``, called
    once, with one sentence for users); it closes the source whatever the reason.

    A *live* source (a network or USB camera) that stops delivering once it was open is
    not a failure: it is read through a
    :class:`~faceapp.core.reconnect.ReconnectingSource`, which reopens it with back-off
    (0.5, 1, 2, 2, ... s) while ``on_link`` hears ``LOST`` (no frames reach the sink
    meanwhile, so nothing is recognised or recorded) and then ``LIVE`` once frames flow
    again.  The first opening is not retried, and a source lost for longer than
    ``give_up_s`` fails (``on_failed``).

    Parameters
    ----------
    source : FrameSource
        Not yet opened.
    sink : callable
        Called in the loop's thread with each :class:`~faceapp.core.sources.Frame`
        (its image read-only), e.g. :meth:`RecognitionLoop.submit_frame`; it should not
        block (a lossless sink may, to hold the source back).
    on_opened : callable, optional
        ``(name, fps, live)`` once the source is open.
    on_failed : callable, optional
        ``(message)`` when the source cannot be opened or fails while reading.
    on_ended : callable, optional
        ``()`` when a finite source has no more frames.
    paced : bool
        Show files at their own rate (the window, the benchmark); False reads them as
        fast as the sink takes them (the command line).
    on_link : callable, optional
        ``(LinkStatus)`` when a live source is lost, at each failed attempt to reopen
        it, and when it is back (called in the loop's thread, before the first frame
        after the gap reaches the sink).
    reconnect : bool
        Reconnect live sources (default); False: a lost live source fails at once.
    give_up_s : float or None
        Seconds a live source may stay lost before the loop fails with
        ``"<name>: lost for <n> s; gave up"``; None (default) retries until stopped.

    Notes
    -----
    :meth:`set_paused` and :meth:`paused` may be called from any thread; the
    callbacks are called in the loop's thread and receive immutable values only.
    """

    def __init__(
        self,
        source: FrameSource,
        sink: Callable[[Frame], None],
        on_opened: Callable[[str, float, bool], None] = ignore,
        on_failed: Callable[[str], None] = ignore,
        on_ended: Callable[[], None] = ignore,
        paced: bool = True,
        on_link: Callable[[LinkStatus], None] = ignore,
        reconnect: bool = True,
        give_up_s: float | None = None,
    ) -> None:
        super().__init__()
        self.source = source
        self.sink = sink
        self.on_opened, self.on_failed, self.on_ended = on_opened, on_failed, on_ended
        self.on_link = on_link
        self.paced = paced
        self.reconnect = reconnect
        self.give_up_s = give_up_s
        self._gave_up = ""
        #: The reconnecting wrapper of a live source while the loop reads it, else None.
        self.link: ReconnectingSource | None = None
        self._paused = threading.Event()
        #: Frames read from the source and handed to the sink.
        self.frames_read = 0

    def set_paused(self, paused: bool) -> None:
        """Stop (or resume) reading frames (any thread)."""
        if paused:
            self._paused.set()
        else:
            self._paused.clear()
        self.wake()

    def paused(self) -> bool:
        """Return True while reading is paused."""
        return self._paused.is_set()

    def loop(self) -> None:
        """Open the source, read it until it ends, fails or the loop is stopped; close it."""
        name = self.source.name
        if self.reconnect and getattr(self.source, "live", False) and self.link is None:
            self.link = ReconnectingSource(self.source, self._on_status, sleep=self._wait)
            self.source = self.link
        try:
            self.source.open()
        except SourceError as exc:
            self.on_failed(str(exc))
            return
        except Exception as exc:
            log.exception("opening %s failed", name)
            self.on_failed(f"could not open {name}: {exc}")
            return
        try:
            self.on_opened(name, float(self.source.fps), bool(self.source.live))
            self.read_frames(name)
        finally:
            try:
                self.source.close()
            except Exception:
                log.exception("closing %s failed", name)

    def read_frames(self, name: str) -> None:
        """Read frames until the end, a failure or a stop (subclasses step differently)."""
        start_wall: float | None = None
        start_ts = 0.0
        while not self.stopping():
            if self._paused.is_set():
                # A file resumes where it stopped, on a new schedule; a camera's
                # frames of the pause are not read, so its driver drops them.
                start_wall = None
                if self.sleep(PAUSE_POLL_S):
                    return
                continue
            try:
                frame = self.source.read()
            except SourceError as exc:
                self.on_failed(str(exc))
                return
            except Exception as exc:
                log.exception("reading %s failed", name)
                self.on_failed(f"{name} failed: {exc}")
                return
            if frame is None:
                if self.stopping():
                    return
                if self._gave_up:
                    self.on_failed(self._gave_up)
                else:
                    self.on_ended()
                return
            if self.paced and not self.source.live:
                # Show file frames at their own rate: sleep until this frame is due.
                now = time.monotonic()
                if start_wall is None:
                    start_wall, start_ts = now, frame.timestamp
                delay = start_wall + (frame.timestamp - start_ts) - now
                if delay < -MAX_LAG_S:
                    start_wall, start_ts = now, frame.timestamp
                elif delay > 0 and self.sleep(delay):
                    return
            self.deliver(frame)

    def _on_status(self, status: LinkStatus) -> None:
        """Pass a change of the live source's link on; give up after ``give_up_s`` lost."""
        limit = self.give_up_s
        if status.state is LinkState.LOST and limit is not None and status.lost_for_s >= limit:
            self._gave_up = f"{status.name}: lost for {status.lost_for_s:.0f} s; gave up"
        self.on_link(status)

    def _wait(self, seconds: float) -> bool:
        """Wait between reconnection attempts; True (stop waiting) when stopping or given up."""
        return bool(self._gave_up) or self.sleep(seconds) or bool(self._gave_up)

    def deliver(self, frame: Frame) -> None:
        """Hand ``frame`` (made read-only) to the sink and count it."""
        as_readonly(frame.image)
        self.frames_read += 1
        self.sink(frame)


# -- recognition -----------------------------------------------------------------------


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
    quality : QualityFigures, optional
        :func:`~faceapp.core.quality.assess_face`'s figures of ``face`` in ``image``,
        when the caller measured them already (the capture dialog's check): stored as
        they are, not measured again.  Ignored without ``face`` and ``image``.
    """

    name: str
    source: str
    path: Path | None = None
    image: np.ndarray | None = field(default=None, repr=False, compare=False)
    face: Face | None = None
    quality: QualityFigures | None = None


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
    #: Called instead of ``on_job_finished`` when given (see :meth:`RecognitionLoop.submit_job`).
    on_finished: Callable[[EnrolOutcome], None] | None = None


@dataclass(frozen=True)
class LiveResult:
    """One published result with what it was made from and how it was judged.

    Parameters
    ----------
    ticket : int
        The source's ticket (:meth:`RecognitionLoop.clear_frames`).
    frame : Frame
        The frame (read-only image); a tap may cut crops from it but must not keep it.
    result : FrameResult
    mode : {"recognition", "verification"}
        The mode it was matched in.
    gallery : GalleryIndex or None
        The snapshot it was matched with (None: not known).
    judgement : Judgement
        The liveness gate's judgement of this very result (``NO_CHECK`` without one).
    claim : str or None
        The claim the gate's challenge runs for; None when no challenge runs.
    """

    ticket: int
    frame: Frame = field(repr=False)
    result: FrameResult
    mode: Mode
    gallery: GalleryIndex | None = field(default=None, repr=False)
    judgement: Judgement = NO_CHECK
    claim: str | None = None


#: A result tap: called in the recognition thread with each :class:`LiveResult`.
ResultTap = Callable[[LiveResult], None]


def tracker_for(mode: Mode, live: LiveSettings | None = None) -> FaceTracker:
    """Return the tracker for a continuous source in ``mode`` (``live``: recognition's).

    Recognition follows faces in the tracker's frugal live mode (:mod:`faceapp.core.live`).
    Verification detects every frame: its liveness challenge reads the landmarks of each
    frame, as it was measured (``docs/liveness.md``), and a claim is a short interaction.
    """
    if mode == "verification":
        return FaceTracker(live=None)
    return FaceTracker(live=live or LiveSettings())


class RecognitionLoop(Runner):
    """Loads the models, then recognises the newest frame and runs enrolment jobs.

    The capture side drops frames into a one-slot mailbox (:meth:`submit_frame`),
    replacing any frame not yet picked up; this loop repeatedly takes the *newest*
    frame and runs ``pipeline.process`` on it, so frames that arrive while it is busy
    are dropped, never queued, and the latency stays one inference.  Enrolment jobs
    run in the same thread between frames, because the pipeline is not thread-safe.
    Each result is judged by the liveness ``gate`` (when given), handed to the taps
    (:meth:`add_tap`: the history) and then to ``on_result``, all in this thread and
    with the same judgement.

    Loading the models (``pipeline.prepare()``: seconds of TensorFlow start-up) is one
    blocking call no flag can interrupt, so :meth:`run` loads them in a helper thread
    and waits for it *or* for :meth:`stop`: a stop during the load returns at once and
    the load finishes on its own (:meth:`wait_for_model_load`).

    Drive it with :meth:`run` in any thread (the window's ``QThread``, a plain
    thread), or in the calling thread with :meth:`load_model` and :meth:`step`.

    Parameters
    ----------
    pipeline : FacePipeline
        Used from the loop's thread only while it runs.
    gallery : GalleryIndex or None
        Initial gallery snapshot; None when it is still being read: frames then wait
        (only the newest is kept) until :meth:`set_gallery` brings one.
    settings : MatchSettings
        Initial matching settings.
    gate : LivenessGate, optional
        Judges every result in this thread (verification's head-turn challenge).
    on_result : callable, optional
        ``(ticket, result, judgement)`` for each result of the current source.
    on_model_state : callable, optional
        ``(state, message)``: a :class:`ModelState` and the seconds the load took, or
        why it failed.
    on_job_progress : callable, optional
        ``(job_id, done, total)``.
    on_job_finished : callable, optional
        ``(job_id, outcome)`` with an :class:`EnrolOutcome`.
    on_error : callable, optional
        ``(message)`` when processing a frame failed.
    trackers : callable, optional
        ``(mode, live) -> FaceTracker`` for a tracked source (default
        :func:`tracker_for`).

    Notes
    -----
    The public methods other than :meth:`run`, :meth:`step` and :meth:`load_model` are
    thread-safe and never block for longer than a lock held for a few assignments
    (except :meth:`submit_frame` with ``wait``).  Callbacks run in the loop's thread
    and receive immutable values: read-only frames, frozen results and judgements.
    """

    def __init__(
        self,
        pipeline: FacePipeline,
        gallery: GalleryIndex | None,
        settings: MatchSettings,
        gate: LivenessGate | None = None,
        on_result: Callable[[int, FrameResult, Judgement], None] = ignore,
        on_model_state: Callable[[str, str], None] = ignore,
        on_job_progress: Callable[[int, int, int], None] = ignore,
        on_job_finished: Callable[[int, EnrolOutcome], None] = ignore,
        on_error: Callable[[str], None] = ignore,
        trackers: Callable[[Mode, LiveSettings], FaceTracker | None] = tracker_for,
    ) -> None:
        super().__init__()
        self.pipeline = pipeline
        self.gate = gate
        self.on_result, self.on_model_state = on_result, on_model_state
        self.on_job_progress, self.on_job_finished = on_job_progress, on_job_finished
        self.on_error = on_error
        self._trackers = trackers
        self._cond = threading.Condition()
        self._gallery = gallery
        self._settings = settings
        self._loader: threading.Thread | None = None
        self._pending: Frame | None = None
        self._last: tuple[Frame, FrameResult] | None = None
        self._dirty = False
        self._jobs: deque[_Job] = deque()
        self._job_ids = itertools.count(1)
        self._running_job: _Job | None = None
        self._model_ok = False
        self._ticket = 0
        self._tracking = False
        self._live = LiveSettings()
        self._configured: tuple[int, Mode, LiveSettings] | None = None
        self._input_ended = False
        self._taps: list[ResultTap] = []
        #: Frames processed (results published or dropped for a source change).
        self.frames_processed = 0

    # -- thread-safe inputs ----------------------------------------------------------

    def submit_frame(self, frame: Frame, wait: bool = False) -> None:
        """Offer a frame, replacing one not yet picked up (any thread).

        With ``wait`` the call first waits until the previous frame was picked up (or
        the loop stops): no frame is dropped (the command line's every-frame run).
        """
        with self._cond:
            while wait and self._pending is not None and not self.stopping():
                self._cond.wait(0.5)
            self._pending = frame
            self._cond.notify_all()

    def end_of_input(self) -> None:
        """No more frames will come: :meth:`run` returns once the last one is processed.

        For a run over one source (the command line, the benchmark); the window never
        calls it, its loop outlives sources.
        """
        with self._cond:
            self._input_ended = True
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
            Follow faces across the coming frames with a new tracker (cameras and
            videos: faces are re-embedded only every so often and named by a vote);
            False for slideshows, whose consecutive frames are unrelated pictures.  The
            tracker is installed on the pipeline by the loop's thread itself.

        Returns
        -------
        int
            The new ticket: results of frames submitted before the call carry an older
            one (and a frame being processed during the call yields no result).
        """
        with self._cond:
            self._pending = None
            self._last = None
            self._ticket += 1
            self._tracking = tracking
            self._cond.notify_all()
            return self._ticket

    def last_processed(self) -> tuple[Frame, FrameResult] | None:
        """Return the newest processed frame and its result, or None (any thread)."""
        with self._cond:
            return self._last

    def submit_job(
        self,
        items: Sequence[EnrolItem],
        on_finished: Callable[[EnrolOutcome], None] | None = None,
    ) -> int:
        """Queue an enrolment job and return its id (any thread).

        ``on_finished`` (called in this loop's thread with the :class:`EnrolOutcome`)
        reports the job when given, instead of ``on_job_finished``: a caller that
        stores the samples itself hands them on from this thread.
        """
        job = _Job(self.new_job_id(), tuple(items), on_finished=on_finished)
        with self._cond:
            self._jobs.append(job)
            self._cond.notify_all()
        return job.job_id

    def new_job_id(self) -> int:
        """Return a job id no other job has (any thread): for jobs run elsewhere."""
        return next(self._job_ids)

    def cancel_job(self, job_id: int) -> None:
        """Cancel a queued or running job; it finishes soon with ``cancelled=True``."""
        with self._cond:
            for job in (*self._jobs, self._running_job):
                if job is not None and job.job_id == job_id:
                    job.cancel.set()

    def add_tap(self, tap: ResultTap) -> None:
        """Call ``tap`` in this thread with each published :class:`LiveResult`.

        Add taps before the loop runs.  A tap sees the frame while it is at hand (to cut
        face crops); it must be quick and must not keep the frame.  Taps run before
        ``on_result``, so what they record matches what is shown.
        """
        self._taps.append(tap)

    def wake(self) -> None:
        """Interrupt the loop's wait for work."""
        with self._cond:
            self._cond.notify_all()

    def wait_for_model_load(self, timeout: float | None = None) -> bool:
        """Wait until a model load still running after :meth:`stop` has finished.

        Returns True when no load is running (any more), False after ``timeout`` seconds.
        """
        loader = self._loader
        if loader is not None:
            loader.join(timeout)
            return not loader.is_alive()
        return True

    def gallery_index(self) -> GalleryIndex | None:
        """Return the gallery snapshot the next frame is matched with (any thread)."""
        with self._cond:
            return self._gallery

    def match_settings(self) -> MatchSettings:
        """Return the settings the next frame is matched with (any thread)."""
        with self._cond:
            return self._settings

    def frame_waiting(self) -> bool:
        """Return True while a submitted frame waits in the mailbox (any thread)."""
        with self._cond:
            return self._pending is not None

    def has_work(self) -> bool:
        """Return True when a job or a frame waits (a frame needs a gallery first)."""
        with self._cond:
            return self._has_work()

    # -- the loop ----------------------------------------------------------------------

    def loop(self) -> None:
        """Load the models, then serve frames and jobs until stopped (or the input ends)."""
        if not self.load_model():
            return
        while self.step():
            pass

    def load_model(self) -> bool:
        """Load the models in a helper thread; return False when stopped meanwhile.

        Reports ``LOADING`` and then ``READY`` or ``FAILED`` through ``on_model_state``;
        after a failure frames are not processed and jobs report every item as failed.
        """
        self.on_model_state(ModelState.LOADING, "")
        start = time.perf_counter()
        outcome: list[Exception | None] = []

        def load() -> None:
            error: Exception | None = None
            try:
                with _PREPARE_LOCK:
                    self.pipeline.prepare()
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
            self.on_model_state(ModelState.FAILED, f"{type(error).__name__}: {error}")
            return True
        self._model_ok = True
        seconds = time.perf_counter() - start
        log.info("face models ready in %.1f s", seconds)
        self.on_model_state(ModelState.READY, f"{seconds:.1f}")
        return True

    def _has_work(self) -> bool:
        if self._jobs:
            return True
        if self._gallery is None:
            return False  # frames wait for the first snapshot
        return self._pending is not None or (self._dirty and self._last is not None)

    def step(self, timeout: float | None = 0.5) -> bool:
        """Wait up to ``timeout`` seconds for work and do one piece: a job or a frame.

        Returns False once the loop is stopped, or the input ended (:meth:`end_of_input`)
        and nothing is left to do; True otherwise (also after a time-out).
        """
        with self._cond:
            if not (self.stopping() or self._has_work() or self._input_ended):
                self._cond.wait(timeout)
            if self.stopping():
                return False
            if not self._has_work():
                return not self._input_ended
            job = self._jobs.popleft() if self._jobs else None
            self._running_job = job
            frame: Frame | None = None
            if job is None:
                if self._pending is not None:
                    frame, self._pending = self._pending, None
                    self._cond.notify_all()  # a waiting submit_frame may go on
                elif self._last is not None:
                    frame = self._last[0]
                self._dirty = False
            gallery, settings, ticket = self._gallery, self._settings, self._ticket
            tracking, live = self._tracking, self._live
        if job is not None:
            try:
                self._run_job(job)
            finally:
                with self._cond:
                    self._running_job = None
        elif frame is not None and gallery is not None and self._model_ok:
            if (ticket, settings.mode, live) != self._configured:
                tracker = self._trackers(settings.mode, live) if tracking else None
                self.pipeline.tracker = tracker
                self._configured = (ticket, settings.mode, live)
            self._process(frame, gallery, settings, ticket)
        return True

    def _process(
        self, frame: Frame, gallery: GalleryIndex, settings: MatchSettings, ticket: int
    ) -> None:
        try:
            result = self.pipeline.process(
                frame.image, gallery, settings, index=frame.index, timestamp=frame.timestamp
            )
        except Exception as exc:
            log.exception("processing frame %d failed", frame.index)
            self.on_error(f"Recognition failed on a frame: {exc}")
            self.sleep(ERROR_BACKOFF_S)
            return
        with self._cond:
            if ticket != self._ticket:
                return  # the source changed meanwhile
            self._last = (frame, result)
        self.frames_processed += 1
        judgement, claim = NO_CHECK, None
        if self.gate is not None:
            try:
                judgement = self.gate.judge(result, settings.mode, frame.image)
                claim = self.gate.claim
            except Exception:  # the check must never stop recognition
                log.exception("the liveness gate failed on frame %d", frame.index)
        if self._taps:
            live = LiveResult(ticket, frame, result, settings.mode, gallery, judgement, claim)
            for tap in self._taps:
                try:
                    tap(live)
                except Exception:  # the history must never stop recognition
                    log.exception("a result tap failed on frame %d", frame.index)
        self.on_result(ticket, result, judgement)

    def _run_job(self, job: _Job) -> None:
        from faceapp.core.images import ImageError, load_image
        from faceapp.enrolment import EnrolmentError, prepare_sample, sample_of

        samples: list[tuple[str, PreparedSample]] = []
        errors: list[str] = []
        failed: list[int] = []
        total = len(job.items)

        def finish(outcome: EnrolOutcome) -> None:
            if job.on_finished is not None:
                job.on_finished(outcome)
            else:
                self.on_job_finished(job.job_id, outcome)

        for done, item in enumerate(job.items, start=1):
            if job.cancel.is_set() or self.stopping():
                finish(EnrolOutcome(job.job_id, (), (), True))
                return
            if not self._model_ok:
                errors.append(f"{item.source}: the face model is not available")
                failed.append(done - 1)
                continue
            try:
                image = item.image if item.image is not None else load_image(item.path or "")
                if item.face is not None:
                    sample = sample_of(self.pipeline, image, item.face, item.source, item.quality)
                else:
                    sample = prepare_sample(self.pipeline, image, item.source, largest=True)
                samples.append((item.name, sample))
            except (ImageError, EnrolmentError) as exc:
                errors.append(str(exc))
                failed.append(done - 1)
            except Exception as exc:
                log.exception("enrolling %s failed", item.source)
                errors.append(f"{item.source}: {exc}")
                failed.append(done - 1)
            self.on_job_progress(job.job_id, done, total)
        cancelled = job.cancel.is_set()
        outcome = EnrolOutcome(
            job.job_id,
            () if cancelled else tuple(samples),
            tuple(errors),
            cancelled,
            tuple(failed),
        )
        finish(outcome)


# -- one source through recognition -------------------------------------------------------


def run_source(capture: CaptureLoop, recognition: RecognitionLoop) -> RecognitionLoop:
    """Run one source through recognition: capture in a plain thread, recognition here.

    The command line and the benchmarks drive the window's loop this way.  The capture
    loop's ``sink`` must feed ``recognition`` (:meth:`RecognitionLoop.submit_frame`);
    the source's end or failure ends the run once the last frame was processed, and
    :meth:`RecognitionLoop.stop` (from a callback, another thread) ends it at once.
    The models are loaded first (at once when the pipeline is prepared already).
    Returns ``recognition``.

    Parameters
    ----------
    capture : CaptureLoop
        Not yet run; its ``on_ended`` and ``on_failed`` are chained to end the input.
    recognition : RecognitionLoop
        Not yet run.
    """
    ended, failed = capture.on_ended, capture.on_failed

    def on_ended() -> None:
        ended()
        recognition.end_of_input()

    def on_failed(message: str) -> None:
        failed(message)
        recognition.end_of_input()

    capture.on_ended, capture.on_failed = on_ended, on_failed
    thread = capture.start_thread("faceapp-capture")
    try:
        recognition.run()
    finally:
        capture.stop()
        thread.join()
    return recognition
