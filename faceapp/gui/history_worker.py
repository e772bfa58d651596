"""HistoryWorker: the window's QThread driving a session HistoryQueue; its outcomes as signals."""

from __future__ import annotations

from PySide6.QtCore import Signal

from faceapp.gui.images import jpeg_image
from faceapp.gui.loop_worker import LoopWorker
from faceapp.session.history import (
    FLUSH_INTERVAL_S,
    HistoryCallbacks,
    HistoryQueue,
)
from faceapp.session.history_tap import HistoryTap
from faceapp.storage.gallery import GalleryStore
from faceapp.storage.history import HistorySettings


class HistoryWorker(LoopWorker):
    """The window's history, in one ``QThread`` (a :class:`HistoryQueue`), and its tap.

    The recognition thread feeds :attr:`tap` (a :class:`HistoryTap`) with every result;
    the tap queues one event per new appearance in the queue, which writes them in
    batches and serves the History dialog, which asks it directly (:attr:`queue`,
    thread-safe).  The queue's callbacks become the signals below, emitted from the
    history thread; the face crops of a page are decoded there into ``QImage`` objects
    that own their pixels.

    Parameters
    ----------
    store : GalleryStore
        The gallery holding the history (see :mod:`faceapp.storage.history`).
    flush_interval_s : float
        Seconds between writes of the recorded events.
    """

    #: Events were written: how many were stored (0 when history is off).
    recorded = Signal(int)
    #: Events read with ``queue.request_events``: a :class:`~faceapp.session.history.HistoryPage`
    #: whose ``crops`` are ``QImage`` or None.
    events_loaded = Signal(object)
    #: The daily attendance read with ``queue.request_daily``: a
    #: :class:`~faceapp.session.history.DailyPage`.
    daily_loaded = Signal(object)
    #: An export, clear or configure finished: a :class:`~faceapp.session.history.HistoryOutcome`.
    request_done = Signal(object)
    #: The history settings were read or changed: :class:`HistorySettings`.
    settings_changed = Signal(object)
    #: Events waiting to be written again (the gallery offline or locked); 0 once written.
    held = Signal(int)

    def __init__(self, store: GalleryStore, flush_interval_s: float = FLUSH_INTERVAL_S) -> None:
        super().__init__()
        callbacks = self._emitting(HistoryCallbacks, settings_changed=self._on_settings)
        #: The history queue the thread runs: reads, export, clear, settings, events.
        self.queue = HistoryQueue(store, callbacks, flush_interval_s, decode_crop=jpeg_image)
        self._drive(self.queue)
        self.tap = HistoryTap(self.queue.add_events)

    def _on_settings(self, settings: HistorySettings) -> None:
        """Switch the tap with the settings (history thread), then emit ``settings_changed``."""
        self.tap.enabled = settings.enabled
        self.settings_changed.emit(settings)
