"""HistoryTap: turns the recognition loop's results into history events, in its thread."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

import numpy as np

from faceapp.core.appearances import Appearance, AppearanceFilter
from faceapp.core.quality import QualityFigures
from faceapp.core.types import Face
from faceapp.session.live import LiveResult
from faceapp.session.verdict import shown_result
from faceapp.storage.gallery import StampedIndex
from faceapp.storage.history import CROP_SIZE, NewEvent

log = logging.getLogger(__name__)


#: Returns ``(embedding, quality figures)`` of an unknown face in a frame (to keep it).
Embed = Callable[[np.ndarray, Face], tuple[np.ndarray, QualityFigures]]


def appearance_events(
    image: np.ndarray,
    appearances: Sequence[Appearance],
    source: str,
    still: bool,
    since: Callable[[int], str | None] | None = None,
    embed: Embed | None = None,
) -> list[NewEvent]:
    """Return the history event of each appearance, with its crop cut from ``image``.

    The one crop-and-event path of the window's tap and the command line's
    ``--history``.

    Parameters
    ----------
    image : ndarray
        The BGR frame the appearances were seen in.
    appearances : sequence of Appearance
    source : str
        The source as people read it.
    still : bool
        A photo: the events have no position in the source.
    since : callable, optional
        The enrolment time of a gallery person id (a ``StampedIndex``'s), or None.
    embed : callable, optional
        Embeds an unknown face to keep it as a face (see :data:`Embed`).

    Notes
    -----
    A crop that cannot be cut, or an unknown face that cannot be embedded, is logged
    and left out; the event is kept.
    """
    from faceapp.enrolment import thumbnail_of

    seen = datetime.now(timezone.utc)
    events = []
    for a in appearances:
        try:
            crop: bytes | None = thumbnail_of(image, a.face, CROP_SIZE)
        except Exception:  # a crop is a nicety: keep the event without it
            log.exception("cutting a history crop failed")
            crop = None
        person = a.match.person_id if a.match is not None else None
        person_since = since(person) if since is not None and person is not None else None
        embedding = quality = None
        if embed is not None and a.decision == "unknown":
            try:
                embedding, quality = embed(image, a.face)
            except Exception:  # kept as an event, not as a face: log it, go on
                log.exception("embedding an unknown face for the history failed")
        event = NewEvent.from_appearance(
            a, crop, source, seen, person_since, embedding=embedding, quality=quality
        )
        if still:
            event = dataclasses.replace(event, position=None)
        events.append(event)
    return events


def unknown_face_embedder(pipeline: Any) -> Embed:
    """Return the :data:`Embed` of a pipeline: its embedding of a face and its quality figures.

    The embedding is the gallery's (``pipeline.embed(image, [face])[0]``, flip fusion
    included) computed from the full-resolution frame, so an unknown face kept in the
    history can be grouped with others and enrolled as a sample; the quality figures
    (:func:`~faceapp.core.quality.assess_face`) choose a group's best faces.

    Parameters
    ----------
    pipeline : FacePipeline
        Loaded (its ``embed`` is called in the caller's thread).
    """
    from faceapp.core.quality import assess_face

    def embed(image: np.ndarray, face: Face) -> tuple[np.ndarray, QualityFigures]:
        return pipeline.embed(image, [face])[0], assess_face(image, face).figures

    return embed


class HistoryTap:
    """Finds the new appearances in each result and hands their events to a sink.

    A tap of :class:`~faceapp.session.live.RecognitionLoop` (:meth:`RecognitionLoop.add_tap`):
    called in the recognition thread with every result it publishes, while the frame is
    still at hand, so the face crop (a :data:`~faceapp.storage.history.CROP_SIZE` pixel
    JPEG) is cut there and only frozen :class:`~faceapp.storage.history.NewEvent`
    values (bytes included) leave the thread, through ``sink``.

    Each result arrives with the liveness gate's judgement of that very result
    (:attr:`LiveResult.judgement`), so the history records each face as the window
    shows it for that result (:func:`~faceapp.session.verdict.shown_result`: accepted,
    rejected, or nothing yet while its box shows a question mark).  Each event carries
    the enrolment time of the person it names, read off the gallery snapshot the face
    was matched with, so an event is never filed under a gallery id that meanwhile
    went to someone else (see :class:`~faceapp.storage.history.NewEvent`).

    Parameters
    ----------
    sink : callable
        Receives each non-empty list of new events; must be thread-safe and quick (it
        queues them for the history's writer thread).
    embed : callable, optional
        Embeds an unknown face (:data:`Embed`, e.g. :func:`unknown_face_embedder`), so
        that each unknown appearance keeps its embedding and quality figures beside its
        crop and can be grouped and named later (``Gallery > Unknown faces…``).  Called
        once per new unknown appearance, not per frame, in the recognition thread.
        Without it unknown faces are kept as crops only.

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

    def __init__(self, sink: Callable[[list[NewEvent]], None], embed: Embed | None = None) -> None:
        self._sink = sink
        #: Embeds unknown faces (see the class's ``embed``); may be set before the
        #: recognition thread starts.
        self.embed = embed
        self._lock = threading.Lock()
        self._source: tuple[int, str, bool] | None = None
        self._filter = AppearanceFilter()
        self._filter_ticket: int | None = None
        self._last_index: int | None = None
        #: Cut crops and queue events only while True (the recorder keeps it in step
        #: with the gallery's history switch; the store checks the switch again).
        self.enabled = True

    def set_source(self, ticket: int, name: str, still: bool) -> None:
        """Announce the source whose frames carry ``ticket`` (any thread).

        Parameters
        ----------
        ticket : int
            What ``RecognitionLoop.clear_frames`` returned for this source.
        name : str
            The source as people read it, stored with each event.
        still : bool
            True for a folder of photos: events then have no position in the source.
        """
        with self._lock:
            self._source = (ticket, name, still)

    def __call__(self, live: LiveResult) -> None:
        """Queue the events of the new appearances in ``live`` (recognition thread)."""
        with self._lock:
            source = self._source
        ticket, frame, result, mode, gallery = (
            live.ticket,
            live.frame,
            live.result,
            live.mode,
            live.gallery,
        )
        if not self.enabled or source is None or source[0] != ticket:
            return
        _, name, still = source
        if self._filter_ticket != ticket:
            self._filter.reset()
            self._filter_ticket, self._last_index = ticket, None
        if still and result.index == self._last_index:
            return
        self._last_index = result.index
        shown = shown_result(result, mode, live.claim, live.judgement)
        appearances = [
            a
            for a in self._filter.update(shown, mode)
            if a.decision == "unknown" or a.match.person_id is not None
        ]
        if not appearances:
            return
        since = gallery.enrolled_at_of if isinstance(gallery, StampedIndex) else None
        events = appearance_events(frame.image, appearances, name, still, since, self.embed)
        self._sink(events)
