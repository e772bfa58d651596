"""HistoryTap: turns the recognition worker's results into history events, in its thread."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timezone

from faceapp.core.appearances import AppearanceFilter
from faceapp.core.liveness import ChallengeState
from faceapp.core.matching import Mode
from faceapp.core.sources import Frame
from faceapp.core.types import FrameResult
from faceapp.gui.liveness_gate import awaits_head_turn
from faceapp.storage.history import CROP_SIZE, NewEvent

log = logging.getLogger(__name__)


class HistoryTap:
    """Finds the new appearances in each result and hands their events to a sink.

    Called by :class:`~faceapp.gui.worker.RecognitionWorker` in the recognition thread
    with every result it publishes, while the frame is still at hand: the face crop
    (a :data:`~faceapp.storage.history.CROP_SIZE` pixel JPEG) is cut there, and only
    frozen :class:`~faceapp.storage.history.NewEvent` values (bytes included) leave
    the thread, through ``sink``.

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
        self._challenge: ChallengeState | None = None
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

    def set_challenge(self, state: ChallengeState | None) -> None:
        """Follow verification mode's liveness challenge (any thread; None: none runs).

        While a challenge runs, a face matching the claim is not accepted yet: it gives
        an event once the challenge passed ("accepted") or failed ("rejected"), as the
        window shows it.
        """
        with self._lock:
            self._challenge = state

    def _as_shown(self, result: FrameResult, mode: Mode) -> FrameResult:
        """Return ``result`` with the verdicts the window shows under a liveness challenge."""
        with self._lock:
            challenge = self._challenge
        if mode != "verification" or not awaits_head_turn(challenge):
            return result
        faces = []
        for fr in result.faces:
            if fr.match is not None and fr.match.accepted:
                match = dataclasses.replace(fr.match, accepted=False) if challenge.failed else None
                fr = dataclasses.replace(fr, match=match)
            faces.append(fr)
        return dataclasses.replace(result, faces=tuple(faces))

    def __call__(self, epoch: int, frame: Frame, result: FrameResult, mode: Mode) -> None:
        """Queue the events of the new appearances in ``result`` (recognition thread)."""
        if not self.enabled:
            return
        with self._lock:
            source = self._source
        if source is None or source[0] != epoch:
            return
        _, name, still = source
        if self._filter_epoch != epoch:
            self._filter.reset()
            self._filter_epoch, self._last_index = epoch, None
        if still and result.index == self._last_index:
            return
        self._last_index = result.index
        appearances = self._filter.update(self._as_shown(result, mode), mode)
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
            event = NewEvent.from_appearance(a, crop, name, at=seen)
            if still:
                event = dataclasses.replace(event, position=None)
            events.append(event)
        self._sink(events)
