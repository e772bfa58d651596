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

    The stepping is :class:`~faceapp.session.photos.PhotoLoop`'s (see there); this
    worker drives it in a ``QThread`` and turns its callbacks into signals.  The
    signals of :class:`CaptureWorker` are emitted as for any source (``source_ended``
    never: the player waits for steps); a photo is always emitted for display.

    Parameters
    ----------
    source : ImageFolderSource
        Not yet opened; the player opens it in its thread.
    sink : callable
        Called in the player's thread with each :class:`Frame`, e.g.
        :meth:`RecognitionWorker.submit_frame`; must not block.
    ticket : int
        See :class:`CaptureWorker`.
    min_interval_s : float
        Shortest time a photo stays on screen, in seconds.
    """

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

    def _deliver(self, frame: Frame) -> None:
        with self._lock:
            self._in_flight = 0  # a photo is always shown: never dropped for display
        super()._deliver(frame)

    @property
    def visits(self) -> int:
        """Photos shown so far (a photo shown twice counts twice)."""
        return self.photo_loop.visits

    def mark_processed(self, position: int) -> None:
        """Report that the photo at ``position`` has been processed (any thread)."""
        self.photo_loop.mark_processed(position)

    def set_model_failed(self, failed: bool = True) -> None:
        """Show the photos at the interval without waiting for results (any thread)."""
        self.photo_loop.set_model_failed(failed)

    def set_min_interval(self, seconds: float) -> None:
        """Keep each photo on screen at least ``seconds`` from now on (any thread)."""
        self.photo_loop.set_min_interval(seconds)

    def go_to(self, position: int) -> None:
        """Show the photo at ``position`` next (clipped to the folder; any thread)."""
        self.photo_loop.go_to(position)

    def next(self) -> None:
        """Show the next photo (any thread); after the last, the first when looping."""
        self.photo_loop.next()

    def previous(self) -> None:
        """Show the previous photo (any thread); before the first, the last when looping."""
        self.photo_loop.previous()

    def position(self) -> int:
        """Return the position of the photo on screen, -1 before the first (any thread)."""
        return self.photo_loop.position()
