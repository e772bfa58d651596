"""RecognitionWorker: runs the session's recognition loop in a QThread, its callbacks as signals."""

from __future__ import annotations

from PySide6.QtCore import Signal

from faceapp.core.liveness.gate import LivenessGate
from faceapp.core.matching import GalleryIndex
from faceapp.core.pipeline import FacePipeline, MatchSettings
from faceapp.gui.loop_worker import LoopWorker
from faceapp.session.live import RecognitionLoop


class RecognitionWorker(LoopWorker):
    """The window's recognition thread: a :class:`RecognitionLoop` driven by a ``QThread``.

    Why two threads (capture and recognition), and not one: detection and embedding
    take 100-500 ms per frame on two CPU cores (tens of ms when a tracked face needs no
    new embedding), while a camera or a video delivers a frame every 33-40 ms; with one
    thread the display would stall for each inference.  So the capture thread
    (:class:`~faceapp.gui.capture_worker.CaptureWorker`) reads the source at its own
    rate, shows every frame and drops it into this loop's one-slot mailbox
    (``loop.submit_frame``); this thread loads the models, then recognises the newest
    frame, judges it with the liveness gate and hands it to the history tap
    (:class:`~faceapp.session.live.RecognitionLoop`).  A source switch restarts only
    the capture thread, so the models stay loaded.  The command line and the
    benchmarks run the same loop in a plain thread.

    The loop's callbacks become this object's signals, emitted from the recognition
    thread and delivered queued to receivers on the GUI thread; the loop's own methods
    (:attr:`loop`: frames, gallery, settings, jobs, taps) are thread-safe and are
    called directly.

    Parameters
    ----------
    pipeline : FacePipeline
    gallery : GalleryIndex or None
        Initial gallery snapshot (None: frames wait for ``loop.set_gallery``).
    settings : MatchSettings
    gate : LivenessGate, optional
        Judges each result in the recognition thread; the judgement comes with
        ``result_ready``.
    """

    #: ``(state, message)``: a :class:`~faceapp.session.live.ModelState`; the message is
    #: the seconds it took when ready, or why it failed.  Recognition thread.
    model_state_changed = Signal(str, str)
    #: ``(ticket, result, judgement)``: the source's ticket (see ``loop.clear_frames``),
    #: a :class:`FrameResult` and its :class:`~faceapp.core.liveness.gate.Judgement`.
    #: Recognition thread.
    result_ready = Signal(int, object, object)
    #: Job id, items done, items in the job.  Recognition thread.
    job_progress = Signal(int, int, int)
    #: The job id and its :class:`~faceapp.session.live.EnrolOutcome`.  Recognition thread.
    job_finished = Signal(int, object)
    #: Processing a frame failed: one sentence.  Recognition thread.
    error = Signal(str)

    def __init__(
        self,
        pipeline: FacePipeline,
        gallery: GalleryIndex | None,
        settings: MatchSettings,
        gate: LivenessGate | None = None,
    ) -> None:
        super().__init__()
        #: The recognition loop this thread drives (its inputs are thread-safe).
        self.loop = RecognitionLoop(
            pipeline,
            gallery,
            settings,
            gate=gate,
            on_result=self.result_ready.emit,
            on_model_state=self.model_state_changed.emit,
            on_job_progress=self.job_progress.emit,
            on_job_finished=self.job_finished.emit,
            on_error=self.error.emit,
        )
        self._drive(self.loop)
