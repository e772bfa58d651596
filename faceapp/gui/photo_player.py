"""PhotoPlayer: runs the session's photo loop in a QThread, each photo shown until processed."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal

from faceapp.core.sources import Frame, FrameSource, ImageFolderSource
from faceapp.gui.capture_worker import CaptureWorker
from faceapp.session.live import CaptureLoop
from faceapp.session.photos import PhotoLoop


class PhotoPlayer(CaptureWorker):
    """Shows the photos of an :class:`ImageFolderSource` one at a time, each until processed.

    The stepping is :attr:`photo_loop`'s (a :class:`~faceapp.session.photos.PhotoLoop`,
    whose steps any thread may call); this worker drives it in a ``QThread`` and turns
    its callbacks into signals.  The
    signals of :class:`CaptureWorker` are emitted as for any source (``source_ended``
    never: the player waits for steps); a photo is always emitted for display.

    Parameters
    ----------
    source : ImageFolderSource
        Not yet opened; the player opens it in its thread.
    sink : callable
        Called in the player's thread with each :class:`Frame`, e.g.
        :meth:`RecognitionLoop.submit_frame`; must not block.
    ticket : int
        See :class:`CaptureWorker`.
    min_interval_s : float
        Shortest time a photo stays on screen, in seconds.
    """

    _always_shown = True  # a photo is always shown: never dropped for display

    #: Emitted from the player's thread when a photo is shown: ticket, its position,
    #: the number of photos, and its path.
    photo_shown = Signal(int, int, int, str)
    #: Emitted from the player's thread when a photo cannot be read: ticket, position,
    #: number of photos, path and one sentence for users; the player goes on.
    photo_failed = Signal(int, int, int, str, str)
    #: Emitted from the player's thread each time a non-looping folder's end is reached
    #: (the last photo done, or a step past it): ticket and the number of photos.
    photos_done = Signal(int, int)

    def __init__(
        self,
        source: ImageFolderSource,
        sink: Callable[[Frame], None],
        ticket: int = 0,
        min_interval_s: float = 1.0,
    ) -> None:
        self._min_interval_s = min_interval_s
        super().__init__(source, sink, ticket)
        self.folder = source

    def _make_loop(self, source: FrameSource) -> CaptureLoop:
        assert isinstance(source, ImageFolderSource)
        self.photo_loop = PhotoLoop(
            source,
            self._deliver,
            self._min_interval_s,
            on_shown=lambda i, n, path: self.photo_shown.emit(self.ticket, i, n, path),
            on_photo_failed=lambda i, n, path, msg: self.photo_failed.emit(
                self.ticket, i, n, path, msg
            ),
            on_done=lambda n: self.photos_done.emit(self.ticket, n),
            on_opened=lambda name, fps, live: self.source_opened.emit(self.ticket, name, fps, live),
            on_failed=lambda message: self.source_failed.emit(self.ticket, message),
        )
        return self.photo_loop
