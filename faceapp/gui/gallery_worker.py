"""GalleryWorker: the window's QThread driving a session GalleryQueue; its outcomes as signals."""

from __future__ import annotations

from PySide6.QtCore import Signal

from faceapp.gui.images import THUMB_PX, thumbnail_image
from faceapp.gui.loop_worker import LoopWorker
from faceapp.session.gallery import GalleryCallbacks, GalleryQueue, Thumbnails
from faceapp.storage.gallery import GalleryStore
from faceapp.storage.watch import POLL_INTERVAL_S


class GalleryWorker(LoopWorker):
    """Every gallery read and write of the window, in one ``QThread`` (a :class:`GalleryQueue`).

    The queue holds the logic (order, tickets, the watch on other writers, switching
    files); this worker runs it in a ``QThread`` and turns its callbacks into the
    signals below, emitted from that thread (so GUI-thread receivers get queued calls).
    Thumbnails are decoded there too, into ``QImage`` objects that own their pixels.

    Parameters
    ----------
    store : GalleryStore
        The gallery; used from the worker thread only.
    thumb_px : int
        Side of the thumbnails it decodes, in pixels.
    poll_s : float
        Seconds between two looks for changes made by others.

    Notes
    -----
    Requests go to :attr:`queue` (thread-safe, they return at once with a ticket, also
    before :meth:`start`).  :meth:`stop` carries out the writes still queued.
    """

    #: The whole people list, after :meth:`reload`: a :class:`PeopleSnapshot`.
    people_loaded = Signal(object)
    #: A new :class:`~faceapp.core.matching.GalleryIndex` snapshot for matching.
    index_ready = Signal(object)
    #: A write finished (or failed): its :class:`~faceapp.session.gallery.GalleryEdit`.
    edit_finished = Signal(object)
    #: Thumbnails: a tuple of ``(person_id, QImage or None)``, None for people without one.
    thumbnails_ready = Signal(object)
    #: A person's samples: ticket, the :class:`Person` (None when not enrolled), a
    #: tuple of :class:`~faceapp.storage.gallery.Sample` and a parallel tuple of their
    #: distances to the person's mean embedding.
    samples_ready = Signal(int, object, object, object)
    #: Reading the gallery failed: one sentence for users.
    read_failed = Signal(str)
    #: A job of :meth:`submit_job` ended: ticket, its result (None on failure) and the
    #: error message (None on success).
    job_finished = Signal(int, object, object)
    #: A shared gallery's server went away or came back: a
    #: :class:`~faceapp.session.gallery.GalleryLink`.
    link_changed = Signal(object)

    def __init__(
        self, store: GalleryStore, thumb_px: int = THUMB_PX, poll_s: float = POLL_INTERVAL_S
    ) -> None:
        super().__init__()
        self._thumb_px = thumb_px
        callbacks = self._emitting(GalleryCallbacks, thumbnails_ready=self._decode_thumbnails)
        #: The session's gallery queue this thread runs: send requests to it.
        self.queue = GalleryQueue(store, callbacks, poll_s)
        self._drive(self.queue)

    def _decode_thumbnails(self, loaded: Thumbnails) -> None:
        """Decode a batch in the gallery thread and emit ``thumbnails_ready``."""
        px = self._thumb_px
        self.thumbnails_ready.emit(tuple((pid, thumbnail_image(data, px)) for pid, data in loaded))
