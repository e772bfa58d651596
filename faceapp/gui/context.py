"""AppContext: application state (settings, gallery, pipeline) and the signals widgets follow."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from faceapp.core.matching import GalleryIndex
from faceapp.core.pipeline import FacePipeline, MatchSettings
from faceapp.core.types import FrameResult
from faceapp.settings import Settings
from faceapp.storage.gallery import GalleryStore, Person, Sample

log = logging.getLogger(__name__)

#: Model states announced by :attr:`AppContext.model_state_changed`.
MODEL_LOADING, MODEL_READY, MODEL_FAILED = "loading", "ready", "failed"


class AppContext(QObject):
    """Everything the widgets show, in one place; lives on the GUI thread.

    Widgets receive the context in ``__init__``, read what they show from it and
    subscribe to its signals; they never keep their own copy of application state.
    Gallery writes go through the context so that every view (and the recognition
    worker) learns about them.

    Parameters
    ----------
    settings : Settings
        The user's preferences; validated on the way in.
    store : GalleryStore
        The enrolled gallery (the same SQLite file the command line uses).
    pipeline : FacePipeline
        The engine; its models are loaded by the recognition worker, never here.
    """

    #: Emitted with the new :class:`Settings` whenever any preference changes.
    settings_changed = Signal(object)
    #: Emitted with a new :class:`MatchSettings` when threshold, mode or claim change.
    match_settings_changed = Signal(object)
    #: Emitted after every write to the gallery (add, rename, delete).
    gallery_changed = Signal()
    #: A frame to show (QImage owning its bytes), its source index and timestamp in
    #: seconds; see :meth:`publish_frame`.
    frame_ready = Signal(QImage, int, float)
    #: Every :class:`FrameResult` the recognition worker produced; see :meth:`publish_result`.
    result_ready = Signal(object)
    #: The result that describes the picture on screen changed: a :class:`FrameResult`,
    #: or None when the newest result is too old for the frame shown.
    current_result_changed = Signal(object)
    #: Emitted with ``(state, message)``; state is loading, ready or failed.
    model_state_changed = Signal(str, str)

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
        self._model_state = MODEL_LOADING
        self._model_message = ""
        self._frame_index = -1
        self._frame_ts = 0.0
        self._result: FrameResult | None = None
        self._current: FrameResult | None = None
        #: How long (in seconds of source time) a result still describes later frames:
        #: about a second for cameras and videos, 0 for slideshows, whose every frame
        #: is another picture (a result then only describes its own frame).
        self.hold_s = 1.0

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
        self.settings_changed.emit(new)
        if (old.threshold_for(old.mode), old.mode, old.claim) != (
            new.threshold_for(new.mode),
            new.mode,
            new.claim,
        ):
            self.match_settings_changed.emit(self.match_settings())
        return new

    def match_settings(self) -> MatchSettings:
        """Return the immutable matching settings to hand to the worker."""
        s = self._settings
        mode = "verification" if s.mode == "verification" else "recognition"
        return MatchSettings(threshold=s.threshold_for(mode), mode=mode, claim=s.claim)

    # -- frames and results ----------------------------------------------------------

    def publish_frame(self, image: QImage, index: int, timestamp: float) -> None:
        """Announce the frame now on screen (emits ``frame_ready``)."""
        self._frame_index, self._frame_ts = index, timestamp
        self.frame_ready.emit(image, index, timestamp)
        self._refresh_current()

    def publish_result(self, result: FrameResult) -> None:
        """Announce a new recognition result (emits ``result_ready``)."""
        self._result = result
        self.result_ready.emit(result)
        self._refresh_current()

    def clear_results(self) -> None:
        """Forget the frame and result on screen (when the source changes)."""
        self._frame_index, self._frame_ts, self._result = -1, 0.0, None
        self._refresh_current()

    def current_result(self) -> FrameResult | None:
        """Return the result describing the frame on screen, or None when there is none.

        That is the newest result when it came from the frame shown, or, with
        ``hold_s > 0``, from a frame at most ``hold_s`` seconds away from it.
        """
        return self._current

    def _refresh_current(self) -> None:
        r = self._result
        fresh = r is not None and (
            r.index == self._frame_index
            or (self.hold_s > 0 and abs(self._frame_ts - r.timestamp) <= self.hold_s)
        )
        current = r if fresh else None
        if current is not self._current:
            self._current = current
            self.current_result_changed.emit(current)

    # -- model state -----------------------------------------------------------------

    @property
    def model_state(self) -> str:
        """``"loading"``, ``"ready"`` or ``"failed"``."""
        return self._model_state

    @property
    def model_message(self) -> str:
        """Why the model failed, or how long it took to load."""
        return self._model_message

    def set_model_state(self, state: str, message: str = "") -> None:
        """Record the model state and announce it."""
        self._model_state, self._model_message = state, message
        self.model_state_changed.emit(state, message)

    # -- gallery ---------------------------------------------------------------------

    def people(self) -> list[Person]:
        """Return everybody enrolled, sorted by name."""
        return self.store.people()

    def samples(self, person: str | int) -> list[Sample]:
        """Return a person's samples, oldest first (KeyError when not enrolled)."""
        return self.store.samples(person)

    def gallery_index(self) -> GalleryIndex:
        """Return an immutable snapshot of the gallery for the recognition worker."""
        return self.store.index()

    def add_samples(
        self, name: str, items: Sequence[tuple[np.ndarray, bytes | None, str | None]]
    ) -> list[int]:
        """Store samples of one person (enrolling them when new) in one transaction.

        Raises
        ------
        ValueError, KeyError, faceapp.storage.gallery.GalleryError
            As :meth:`GalleryStore.add_samples`; nothing is written then.
        """
        ids = self.store.add_samples(name, items, create=True)
        if ids:
            log.info("added %d sample(s) of %s", len(ids), name)
            self.gallery_changed.emit()
        return ids

    def rename_person(self, old: str | int, new: str) -> Person:
        """Rename a person; a claim on the old name follows the rename.

        Raises
        ------
        KeyError, ValueError, faceapp.storage.gallery.GalleryError
            As :meth:`GalleryStore.rename`.
        """
        before = self.store.find_person(old)
        person = self.store.rename(old, new)
        log.info("renamed %s to %s", before.name if before else old, person.name)
        if before is not None and self._settings.claim == before.name:
            self.update_settings(claim=person.name)
        self.gallery_changed.emit()
        return person

    def remove_person(self, name_or_id: str | int) -> None:
        """Delete a person and their samples; a claim on them is dropped.

        Raises
        ------
        KeyError, faceapp.storage.gallery.GalleryError
            As :meth:`GalleryStore.remove_person`.
        """
        person = self.store.find_person(name_or_id)
        self.store.remove_person(name_or_id)
        log.info("removed %s", person.name if person else name_or_id)
        if person is not None and self._settings.claim == person.name:
            self.update_settings(claim=None)
        self.gallery_changed.emit()

    def remove_sample(self, sample_id: int) -> None:
        """Delete one sample.

        Raises
        ------
        KeyError, faceapp.storage.gallery.GalleryError
            As :meth:`GalleryStore.remove_sample`.
        """
        self.store.remove_sample(sample_id)
        log.info("removed sample %d", sample_id)
        self.gallery_changed.emit()
