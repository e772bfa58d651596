"""AppContext: application state (settings, gallery, pipeline) and the signals widgets follow."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Signal, Slot
from PySide6.QtGui import QImage

from faceapp.core.liveness import ChallengeState
from faceapp.core.liveness.gate import Judgement, LivenessGate
from faceapp.core.matching import GalleryIndex
from faceapp.core.pipeline import FacePipeline, MatchSettings
from faceapp.core.types import FrameResult
from faceapp.gui.capture_worker import CaptureWorker
from faceapp.gui.gallery_worker import GalleryWorker
from faceapp.gui.history_worker import HistoryWorker
from faceapp.gui.worker import RecognitionWorker
from faceapp.session.context_liveness import ShownJudgement
from faceapp.session.gallery import GalleryEdit, GalleryQueue
from faceapp.session.history_tap import unknown_face_embedder
from faceapp.session.live import ModelState
from faceapp.session.meters import LiveMeters
from faceapp.session.people_state import PeopleState
from faceapp.session.verdict import Verdict, verification_verdict
from faceapp.session.window_display import DisplaySize
from faceapp.session.window_state import (
    RECOGNITION,
    VERIFICATION,
    ShownResult,
    automatic_distance_of,
    distance_in_force,
    liveness_claim,
    match_settings_of,
)
from faceapp.settings import Settings
from faceapp.storage.gallery import GalleryStore, Person
from faceapp.storage.people import PeopleList, PeopleSnapshot

log = logging.getLogger(__name__)

__all__ = ["RECOGNITION", "VERIFICATION", "AppContext"]


class AppContext(QObject):
    """Everything the widgets show, in one place; lives on the GUI thread.

    Widgets receive the context in ``__init__``, read what they show from it and
    subscribe to its signals; they never keep their own copy of application state.
    Gallery writes go through :attr:`gallery` so that every view (and the recognition
    worker) learns about them from the context's signals.

    The gallery is read and written only by a :class:`GalleryWorker` thread (started by
    :meth:`start_gallery`), never on the GUI thread: its queue's writes return a ticket
    at once and ``edit_finished`` reports the outcome; the people list is kept here in
    memory (``people_reset``, ``person_updated``, ``person_removed`` follow it) and the
    matching snapshot arrives with ``gallery_index_changed``.

    Parameters
    ----------
    settings : Settings
        The user's preferences; validated on the way in.
    store : GalleryStore
        The enrolled gallery (the same SQLite file the command line uses); kept as
        ``store`` for reference, used only from the gallery thread.
    pipeline : FacePipeline
        The engine; its models are loaded by the recognition worker, never here.
    """

    #: Emitted with the new :class:`Settings` whenever any preference changes.
    settings_changed = Signal(object)
    #: Another gallery file is in use (:meth:`switch_gallery`): its path, as a str.
    gallery_switched = Signal(str)
    #: A job of ``gallery.submit_job`` ended: ticket, result or None, error or None.
    gallery_job_finished = Signal(int, object, object)
    #: Emitted with a new :class:`MatchSettings` when threshold, stranger rate, mode or
    #: claim change.
    match_settings_changed = Signal(object)
    #: Emitted after every successful write to the gallery (add, rename, delete), once
    #: the people signals below have been emitted.
    gallery_changed = Signal()
    #: The whole people list was (re)read: read :meth:`people`.
    people_reset = Signal()
    #: A person was enrolled or changed (samples, name): ``(before or None, after)``,
    #: both :class:`Person`.
    person_updated = Signal(object, object)
    #: A person was deleted: their last :class:`Person`.
    person_removed = Signal(object)
    #: A gallery write finished or failed: its :class:`GalleryEdit` (after the signals
    #: above).  ``edit.ticket`` is what the write method returned.
    edit_finished = Signal(object)
    #: A new matching snapshot (:class:`GalleryIndex`), handed to the recognition worker first.
    gallery_index_changed = Signal(object)
    #: Thumbnails asked for with ``gallery.request_thumbnails``: a tuple of
    #: ``(person_id, QImage or None)``.
    thumbnails_loaded = Signal(object)
    #: Samples asked for with ``gallery.request_samples``: ticket, Person or None, tuple of
    #: :class:`Sample`, tuple of their distances to the person's mean embedding.
    samples_loaded = Signal(int, object, object, object)
    #: The gallery could not be read: one sentence for users.
    gallery_failed = Signal(str)
    #: A shared gallery's server went away or came back (a
    #: :class:`~faceapp.session.gallery.GalleryLink`); recognition goes on meanwhile.
    gallery_link_changed = Signal(object)
    #: A frame to show (QImage owning its bytes), its source index and timestamp in
    #: seconds; see :meth:`publish_frame`.
    frame_ready = Signal(QImage, int, float)
    #: Every :class:`FrameResult` the recognition worker produced; see :meth:`publish_result`.
    result_ready = Signal(object)
    #: The result that describes the picture on screen changed: a :class:`FrameResult`,
    #: or None when the newest result is too old for the frame shown.
    current_result_changed = Signal(object)
    #: Emitted with ``(state, message)``; state is a :class:`ModelState` value.
    model_state_changed = Signal(str, str)
    #: The liveness challenge of verification mode changed: a frozen
    #: :class:`~faceapp.core.liveness.ChallengeState`, or None when no challenge runs
    #: (liveness off, no claim, recognition mode, or a slideshow without tracking).
    #: Also emitted when the check becomes impossible or possible again (a folder of
    #: photos); :meth:`judgement` tells which.
    challenge_changed = Signal(object)

    def __init__(
        self,
        settings: Settings,
        store: GalleryStore,
        pipeline: FacePipeline,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings = settings.validated()
        self.store = store
        self.pipeline = pipeline
        self._model_state = ModelState.LOADING
        self._model_message = ""
        #: The result describing the frame on screen (a slideshow's holds no result).
        self._shown = ShownResult()
        #: Where the video view shows frames; capture workers scale to it.
        self.display_size = DisplaySize()
        #: The head-turn challenge of verification mode: judges each result in the
        #: recognition thread; the judgement comes with the result (:meth:`publish_result`).
        self.liveness = LivenessGate()
        self._judged = ShownJudgement(self.liveness)
        self._configure_liveness()
        #: The people list and matching snapshot shown (kept on the GUI thread).
        self._gallery_state = PeopleState()
        self._gallery_started = False
        self._history_started = False
        self._gallery = self._gallery_worker(store)
        #: The recognition history: recording in batches, reads for the History dialog.
        self.history = HistoryWorker(store)
        #: The recognition thread (the window starts and stops it): the newest frame of
        #: the source through the pipeline, judged by :attr:`liveness`, tapped by the
        #: history, its results to :meth:`publish_result`.
        self.recognition = RecognitionWorker(pipeline, None, self.match_settings(), self.liveness)
        self.recognition.loop.set_min_face(self._settings.min_face_px)
        # Unknown faces are kept with their embedding, to be grouped and named later.
        self.history.tap.embed = unknown_face_embedder(pipeline)
        self.recognition.loop.add_tap(self.history.tap)
        self.recognition.result_ready.connect(self._on_recognition_result_ready)
        self.recognition.model_state_changed.connect(self.set_model_state)
        #: Rates, latency and faces of the live source, for the status bar.
        self.meters = LiveMeters()
        self._ticket = 0
        self._capture: CaptureWorker | None = None

    def _gallery_worker(self, store: GalleryStore) -> GalleryWorker:
        worker = GalleryWorker(store)
        worker.people_loaded.connect(self._on_people_loaded)
        worker.index_ready.connect(self._on_index_ready)
        worker.edit_finished.connect(self._on_edit_finished)
        worker.thumbnails_ready.connect(self.thumbnails_loaded)
        worker.samples_ready.connect(self.samples_loaded)
        worker.read_failed.connect(self._on_read_failed)
        worker.job_finished.connect(self.gallery_job_finished)
        worker.link_changed.connect(self.gallery_link_changed)
        return worker

    # -- preferences -----------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """The current preferences (immutable; change them with :meth:`update_settings`)."""
        return self._settings

    def update_settings(self, **changes: Any) -> Settings:
        """Replace some preferences, emitting the change signals when anything changed.

        Parameters
        ----------
        **changes
            Field names of :class:`Settings` and their new values.

        Returns
        -------
        Settings
            The validated new settings.
        """
        new = replace(self._settings, **changes).validated()
        if new == self._settings:
            return new
        old, self._settings = self._settings, new
        self.recognition.loop.set_min_face(new.min_face_px)
        self.settings_changed.emit(new)
        self._configure_liveness()
        if match_settings_of(old) != match_settings_of(new):
            self.recognition.loop.set_settings(self.match_settings())
            self.match_settings_changed.emit(self.match_settings())
        return new

    def match_settings(self) -> MatchSettings:
        """Return the immutable matching settings to hand to the worker."""
        return match_settings_of(self._settings)

    def distance_in_force(self, mode: str | None = None) -> float:
        """Return the distance threshold in force in ``mode`` (default: the current mode).

        A pinned threshold, verification's threshold, or, with recognition's automatic
        rule, :meth:`automatic_distance`: what a single line or figure shows.

        Raises
        ------
        faceapp.core.errors.ModelError
            When a shipped LFW table is missing or damaged.
        """
        return distance_in_force(self._settings, self._gallery_state.index, mode)

    def automatic_distance(self) -> float:
        """Return recognition's automatic distance for the current gallery and stranger rate.

        The threshold of the automatic rule for a face with no close runner-up
        (:func:`~faceapp.core.matching.automatic_distance`): the farthest a face may be
        from its nearest person and still be named; a face with a close runner-up must
        be nearer.  It follows the gallery; before the gallery is read, that of a
        gallery of one person.

        Raises
        ------
        faceapp.core.errors.ModelError
            When the shipped open-set table is missing or damaged.
        """
        return automatic_distance_of(self._settings, self._gallery_state.index)

    # -- liveness ----------------------------------------------------------------------

    def challenge_state(self) -> ChallengeState | None:
        """Return the liveness challenge's state after the latest result, or None."""
        return self._judged.judgement.challenge

    def judgement(self) -> Judgement:
        """Return the liveness judgement of the latest result (or after a reset)."""
        return self._judged.judgement

    def verdict(self) -> Verdict:
        """Return verification's one verdict for the result on screen.

        The panel shows it, the face's box shows the same decision and distance, and
        the history records it (see :mod:`faceapp.session.verdict`).
        """
        claim = self._settings.claim
        enrolled = self._gallery_state.claim_enrolled(claim)
        return verification_verdict(self._shown.current, claim, self._judged.judgement, enrolled)

    def retry_challenge(self) -> None:
        """Start the liveness challenge again ("Try again"); emits ``challenge_changed``."""
        self._judged.restart()
        self.challenge_changed.emit(self._judged.judgement.challenge)

    def _configure_liveness(self) -> None:
        if self._judged.configure(liveness_claim(self._settings), self._settings.liveness):
            self.challenge_changed.emit(self._judged.judgement.challenge)

    # -- sources, frames and results ----------------------------------------------------

    @property
    def ticket(self) -> int:
        """The current source's ticket: frames and results of older sources are ignored."""
        return self._ticket

    def begin_source(self, name: str | None, slideshow: bool = False) -> int:
        """Forget the old source's frames and results; return the new source's ticket.

        Parameters
        ----------
        name : str or None
            The source as people read it (recorded with history events); None when
            no source will deliver frames (it could not be opened).
        slideshow : bool
            A folder of photos: every frame is another picture, so a result only
            describes its own frame and faces are not tracked from one to the next;
            cameras and videos hold a result for a second and track faces.
        """
        self.clear_results()
        self.meters.new_source()
        self._shown.hold_s = 0.0 if slideshow else 1.0
        self._ticket = self.recognition.loop.clear_frames(tracking=not slideshow)
        if name is not None:
            self.history.tap.set_source(self._ticket, name, still=slideshow)
        return self._ticket

    def end_source(self) -> None:
        """End the source: drop its results still on their way and clear the screen.

        No verdict outlives its source: a result of the last frames that reaches the GUI
        thread after the end carries a ticket no longer current and is ignored.
        """
        self._ticket = self.recognition.loop.clear_frames()
        self.clear_results()

    def show_frames_of(self, capture: CaptureWorker | None) -> None:
        """Show the frames ``capture`` emits (None: no capture; older ones are ignored).

        The capture's ``frame_ready`` reaches :meth:`publish_frame` here, which also
        acknowledges each frame to the capture thread (its display pacing).
        """
        self._capture = capture
        if capture is not None:
            capture.frame_ready.connect(self._on_capture_frame_ready)

    @Slot(int, QImage, int, float)
    def _on_capture_frame_ready(self, ticket: int, image: QImage, index: int, ts: float) -> None:
        capture = self._capture
        if capture is None or ticket != capture.ticket:
            return
        capture.pacing.shown()
        self.meters.frame_shown()
        self.publish_frame(image, index, ts)

    @Slot(int, object, object)
    def _on_recognition_result_ready(
        self, ticket: int, result: FrameResult, judgement: Judgement
    ) -> None:
        if ticket == self._ticket:
            self.meters.result(result)
            self.publish_result(result, judgement)

    def publish_frame(self, image: QImage, index: int, timestamp: float) -> None:
        """Announce the frame now on screen (emits ``frame_ready``)."""
        self._shown.show_frame(index, timestamp)
        self.frame_ready.emit(image, index, timestamp)
        self._refresh_current()

    def publish_result(self, result: FrameResult, judgement: Judgement | None = None) -> None:
        """Announce a new recognition result (emits ``result_ready``).

        ``judgement`` is the liveness gate's judgement of this result, made in the
        recognition thread (one made before the challenge was reset is replaced by
        the gate's current one); without it (a result from elsewhere) it is judged here.
        """
        self._shown.add_result(result)
        if self._judged.take(result, judgement, self._settings.mode):
            self.challenge_changed.emit(self._judged.judgement.challenge)
        self.result_ready.emit(result)
        self._refresh_current()

    def clear_results(self) -> None:
        """Forget the frame, the result and the verdict on screen (a new source, its end)."""
        self._shown.clear()
        if self.liveness.active:
            self.retry_challenge()
        self._refresh_current()

    def current_result(self) -> FrameResult | None:
        """Return the result describing the frame on screen, or None when there is none.

        That is the newest result when it came from the frame shown, or, with
        ``hold_s > 0``, from a frame at most ``hold_s`` seconds away from it.
        """
        return self._shown.current

    def _refresh_current(self) -> None:
        if self._shown.refresh():
            self.current_result_changed.emit(self._shown.current)

    # -- model state -----------------------------------------------------------------

    @property
    def model_state(self) -> ModelState:
        """Whether the face models are loading, ready or failed."""
        return self._model_state

    @property
    def model_message(self) -> str:
        """Why the model failed, or how long it took to load."""
        return self._model_message

    @Slot(str, str)
    def set_model_state(self, state: str, message: str = "") -> None:
        """Record the model state (a :class:`ModelState` value) and announce it."""
        self._model_state, self._model_message = ModelState(state), message
        self.model_state_changed.emit(state, message)

    # -- gallery ---------------------------------------------------------------------

    def start_gallery(self) -> None:
        """Start the gallery thread and read the gallery (idempotent; the window calls it).

        Until ``people_reset`` the people list is empty, and until
        ``gallery_index_changed`` there is no matching snapshot.
        """
        if self._gallery_started:
            return
        self._gallery_started = True
        self._gallery.queue.reload()
        self._gallery.start("faceapp-gallery")
        if not self._history_started:  # the history thread outlives gallery switches
            self._history_started = True
            self.history.start("faceapp-history")

    def stop_gallery(self) -> None:
        """Stop the gallery thread, waiting for the request it is busy with (idempotent).

        Writes still queued are dropped; none of them has started, so nothing is half
        written.  The history thread writes its last events first.
        """
        self.history.stop()
        self._gallery.stop()

    def switch_gallery(self, store: GalleryStore) -> None:
        """Use another gallery file: the gallery thread goes on with ``store``.

        Writes queued on the old gallery are finished there first: the GUI thread waits
        for them and for the operation in progress (not for a long read, which is
        abandoned).  The people list and the matching snapshot are emptied at once
        (``people_reset``, an empty ``gallery_index_changed``), the results on screen
        are cleared, and both are read again from ``store``; ``gallery_switched``
        announces the new path.  ``store`` must already be open (opening it is I/O: do
        it off the GUI thread).
        """
        self._gallery.queue.use_store(store)  # the old file's queued writes are done first
        # Deliver what the gallery thread sent about the old file, so none of it arrives later.
        QCoreApplication.sendPostedEvents(self, QEvent.Type.MetaCall)
        self.store = store
        self.history.queue.use_store(store)
        index = self._gallery_state.forget()
        self.people_reset.emit()
        self.recognition.loop.set_gallery(index)
        self.gallery_index_changed.emit(index)
        self.clear_results()
        self._gallery.queue.reload()
        self.gallery_switched.emit(str(store.path))

    @property
    def gallery(self) -> GalleryQueue:
        """The gallery queue that the gallery thread runs: its requests are thread-safe.

        Reads (``reload``, ``request_thumbnails``, ``request_samples``), writes
        (``add_samples``, ``rename``, ``remove_person``, ``remove_sample(s)``) and jobs
        (``submit_job``) return at once with a ticket; their outcomes reach the GUI
        thread as this context's signals (``edit_finished``, ``thumbnails_loaded``,
        ``samples_loaded``, ``gallery_job_finished``), a claim following a rename or
        a deletion.
        """
        return self._gallery.queue

    @property
    def people_loaded(self) -> bool:
        """True once the people list has been read (``people_reset`` was emitted)."""
        return self._gallery_state.loaded

    def people(self) -> list[Person]:
        """Return everybody enrolled, sorted by name ignoring case (no gallery access)."""
        return self._gallery_state.people.people()

    def people_list(self) -> PeopleList:
        """Return the people list itself (read it, never change it)."""
        return self._gallery_state.people

    def person(self, person_id: int) -> Person | None:
        """Return the enrolled person with this gallery id, or None."""
        return self._gallery_state.people.get(person_id)

    def person_named(self, name: str) -> Person | None:
        """Return the person called ``name``, else one whose name differs only in case."""
        return self._gallery_state.people.named_ignoring_case(name)

    def gallery_index(self) -> GalleryIndex | None:
        """Return the newest matching snapshot (immutable), or None before the first one."""
        return self._gallery_state.index

    # -- slots of the gallery thread (GUI thread) ----------------------------------------

    @Slot(object)
    def _on_people_loaded(self, snapshot: PeopleSnapshot) -> None:
        self._follow_claim(self._gallery_state.load(snapshot, self._settings.claim))
        self.people_reset.emit()

    @Slot(object)
    def _on_index_ready(self, index: GalleryIndex) -> None:
        self._gallery_state.index = index
        self.recognition.loop.set_gallery(index)
        self.gallery_index_changed.emit(index)

    @Slot(object)
    def _on_edit_finished(self, edit: GalleryEdit) -> None:
        if edit.error is not None:
            log.warning("gallery %s failed: %s", edit.action, edit.error)
            self.edit_finished.emit(edit)
            return
        claim = self._gallery_state.apply(edit, self._settings.claim)
        if edit.after is not None:
            self.person_updated.emit(edit.before, edit.after)
        elif edit.before is not None:
            self.person_removed.emit(edit.before)
        self._follow_claim(claim)
        self.gallery_changed.emit()
        self.edit_finished.emit(edit)

    def _follow_claim(self, claim: str | None) -> None:
        if claim != self._settings.claim:
            self.update_settings(claim=claim)

    @Slot(str)
    def _on_read_failed(self, message: str) -> None:
        log.warning("%s", message)
        self.gallery_failed.emit(message)
