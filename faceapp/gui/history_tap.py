"""HistoryTap: turns the recognition worker's results into history events, in its thread."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timezone

from faceapp.core.appearances import AppearanceFilter
from faceapp.core.matching import GalleryIndex, Mode
from faceapp.core.sources import Frame
from faceapp.core.types import FrameResult
from faceapp.gui.liveness_gate import LivenessGate
from faceapp.gui.verdict import NO_CHECK, shown_result
from faceapp.storage.gallery import StampedIndex
from faceapp.storage.history import CROP_SIZE, NewEvent

log = logging.getLogger(__name__)


class HistoryTap:
    """Finds the new appearances in each result and hands their events to a sink.

    Called by :class:`~faceapp.gui.worker.RecognitionWorker` in the recognition thread
    with every result it publishes, while the frame is still at hand: the face crop
    (a :data:`~faceapp.storage.history.CROP_SIZE` pixel JPEG) is cut there, and only
    frozen :class:`~faceapp.storage.history.NewEvent` values (bytes included) leave
    the thread, through ``sink``.

    Before anything else it hands each result to the verification mode's
    :class:`~faceapp.gui.liveness_gate.LivenessGate` (:meth:`set_gate`), so the
    head-turn challenge judges every result in this thread, and the history records
    each face as the window shows it for that very result
    (:func:`~faceapp.gui.verdict.shown_result`: accepted, rejected, or nothing yet
    while its box shows a question mark).  Each event carries the enrolment time of
    the person it names, read off the gallery snapshot the face was matched with, so
    an event is never filed under a gallery id that meanwhile went to someone else
    (see :class:`~faceapp.storage.history.NewEvent`).

    Parameters
    ----------
    sink : callable
        Receives each non-empty list of new events; must be thread-safe and quick (it
        queues them, see :class:`~faceapp.gui.history_worker.HistoryWorker`).

    Notes
    -----
    :meth:`set_source` and :attr:`enabled` may be set from any thread; ``__call__``
    runs in the recognition thread only (its :class:`AppearanceFilter` is not
    thread-safe).  Results of a source other than the one last announced with
    :meth:`set_source` are ignored.  A still picture (a photo of a folder) gives one
    event per face each time it is processed, except when the same frame is processed
    again because the threshold or the gallery changed: the history keeps what was
    decided when the picture was seen.
    """

    def __init__(self, sink: Callable[[list[NewEvent]], None]) -> None:
        self._sink = sink
        self._lock = threading.Lock()
        self._source: tuple[int, str, bool] | None = None
        self._filter = AppearanceFilter()
        self._filter_epoch: int | None = None
        self._last_index: int | None = None
        self._gate: LivenessGate | None = None
        #: Cut crops and queue events only while True (the recorder keeps it in step
        #: with the gallery's history switch; the store checks the switch again).
        self.enabled = True

    def set_source(self, epoch: int, name: str, still: bool) -> None:
        """Announce the source whose frames carry ``epoch`` (any thread).

        Parameters
        ----------
        epoch : int
            What ``RecognitionWorker.clear_frames`` returned for this source.
        name : str
            The source as people read it, stored with each event.
        still : bool
            True for a folder of photos: events then have no position in the source.
        """
        with self._lock:
            self._source = (epoch, name, still)

    def set_gate(self, gate: LivenessGate | None) -> None:
        """Judge every result with ``gate`` before recording it (set before the worker starts)."""
        with self._lock:
            self._gate = gate

    def __call__(
        self,
        epoch: int,
        frame: Frame,
        result: FrameResult,
        mode: Mode,
        gallery: GalleryIndex | None = None,
    ) -> None:
        """Judge ``result``, then queue the events of its new appearances (recognition thread).

        ``gallery`` is the snapshot ``result`` was matched with.
        """
        with self._lock:
            source, gate = self._source, self._gate
        judgement = gate.judge(result, mode, frame.image) if gate is not None else NO_CHECK
        if not self.enabled or source is None or source[0] != epoch:
            return
        _, name, still = source
        if self._filter_epoch != epoch:
            self._filter.reset()
            self._filter_epoch, self._last_index = epoch, None
        if still and result.index == self._last_index:
            return
        self._last_index = result.index
        claim = gate.claim if gate is not None else None
        shown = shown_result(result, mode, claim, judgement)
        appearances = [
            a
            for a in self._filter.update(shown, mode)
            if a.decision == "unknown" or a.match.person_id is not None
        ]
        if not appearances:
            return
        from faceapp.enrolment import thumbnail_of

        seen = datetime.now(timezone.utc)
        events = []
        for a in appearances:
            try:
                crop: bytes | None = thumbnail_of(frame.image, a.face, CROP_SIZE)
            except Exception:  # a crop is a nicety: keep the event without it
                log.exception("cutting a history crop failed")
                crop = None
            since = (
                gallery.enrolled_at_of(a.match.person_id)
                if isinstance(gallery, StampedIndex)
                else None
            )
            event = NewEvent.from_appearance(a, crop, name, at=seen, person_since=since)
            if still:
                event = dataclasses.replace(event, position=None)
            events.append(event)
        self._sink(events)
