"""HistoryWorker: the window's QThread driving a session HistoryQueue; its outcomes as signals."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal

from faceapp.gui.images import jpeg_image
from faceapp.gui.loop_worker import LoopWorker
from faceapp.session.history import (
    FLUSH_INTERVAL_S,
    HistoryCallbacks,
    HistoryQuery,
    HistoryQueue,
)
from faceapp.session.history_tap import HistoryTap
from faceapp.storage.gallery import GalleryStore
from faceapp.storage.history import HistorySettings, NewEvent


class HistoryWorker(LoopWorker):
    """The window's history, in one ``QThread`` (a :class:`HistoryQueue`), and its tap.

    The recognition thread feeds :attr:`tap` (a :class:`HistoryTap`) with every result;
    the tap queues one event per new appearance in the queue, which writes them in
    batches and serves the History dialog.  The queue's callbacks become the signals
    below, emitted from the history thread; the face crops of a page are decoded there
    into ``QImage`` objects that own their pixels.

    Parameters
    ----------
    store : GalleryStore
        The gallery holding the history (see :mod:`faceapp.storage.history`).
    flush_interval_s : float
        Seconds between writes of the recorded events.
    """

    #: Events were written: how many were stored (0 when history is off).
    recorded = Signal(int)
    #: Events read with :meth:`request_events`: a :class:`~faceapp.session.history.HistoryPage`
    #: whose ``crops`` are ``QImage`` or None.
    events_loaded = Signal(object)
    #: The daily attendance read with :meth:`request_daily`: a
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
        callbacks = HistoryCallbacks(
            recorded=self.recorded.emit,
            events_loaded=self.events_loaded.emit,
            daily_loaded=self.daily_loaded.emit,
            request_done=self.request_done.emit,
            settings_changed=self._on_settings,
            held=self.held.emit,
        )
        self.queue = HistoryQueue(store, callbacks, flush_interval_s, decode_crop=jpeg_image)
        self._drive(self.queue)
        self.tap = HistoryTap(self.queue.add_events)

    def _on_settings(self, settings: HistorySettings) -> None:
        """Switch the tap with the settings (history thread), then emit ``settings_changed``."""
        self.tap.enabled = settings.enabled
        self.settings_changed.emit(settings)

    @property
    def settings(self) -> HistorySettings | None:
        """The settings last read (None before the first read)."""
        return self.queue.settings

    @property
    def stored(self) -> int:
        """Events stored so far."""
        return self.queue.stored

    # -- the queue's requests ------------------------------------------------------------

    def add_events(self, events: list[NewEvent]) -> None:
        """See :meth:`HistoryQueue.add_events`."""
        self.queue.add_events(events)

    def flush_soon(self) -> None:
        """See :meth:`HistoryQueue.flush_soon`."""
        self.queue.flush_soon()

    def request_events(self, query: HistoryQuery) -> int:
        """See :meth:`HistoryQueue.request_events`."""
        return self.queue.request_events(query)

    def request_daily(self, query: HistoryQuery) -> int:
        """See :meth:`HistoryQueue.request_daily`."""
        return self.queue.request_daily(query)

    def export_daily_csv(self, query: HistoryQuery, path: Path) -> int:
        """See :meth:`HistoryQueue.export_daily_csv`."""
        return self.queue.export_daily_csv(query, path)

    def export_csv(self, query: HistoryQuery, path: Path) -> int:
        """See :meth:`HistoryQueue.export_csv`."""
        return self.queue.export_csv(query, path)

    def clear(self) -> int:
        """See :meth:`HistoryQueue.clear`."""
        return self.queue.clear()

    def configure(self, enabled: bool | None = None, retention_days: int | None = None) -> int:
        """See :meth:`HistoryQueue.configure`."""
        return self.queue.configure(enabled, retention_days)

    def use_store(self, store: GalleryStore) -> None:
        """See :meth:`HistoryQueue.use_store`."""
        self.queue.use_store(store)
