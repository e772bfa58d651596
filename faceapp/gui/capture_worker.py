"""CaptureWorker: runs the session's capture (or photo) loop in a QThread, frames for display."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtGui import QImage

from faceapp.core.sources import Frame, FrameSource, ImageFolderSource
from faceapp.gui.images import qimage_from_bgr
from faceapp.gui.loop_worker import LoopWorker
from faceapp.session.live import CaptureLoop
from faceapp.session.photos import PhotoLoop
from faceapp.session.window_display import DisplayPacing, DisplaySize

log = logging.getLogger(__name__)


class CaptureWorker(LoopWorker):
    """The window's capture thread: a :class:`CaptureLoop` driven by a ``QThread``.

    The loop reads the source at its own rate and hands every frame to ``sink`` (the
    recognition loop's mailbox); this worker also emits each frame for display, as a
    ``QImage`` owning its bytes scaled to the view (``display``), a few frames ahead of
    the GUI at most (:attr:`pacing`): the view acknowledges each frame it takes
    (``pacing.shown``), so a busy GUI never builds a queue.  That acknowledgement and
    the display size are the only values going against the flow; both pace or shape
    the display copy, neither reaches recognition.

    With ``photo_interval_s``, a folder of photos is stepped by a
    :class:`~faceapp.session.photos.PhotoLoop` instead (:attr:`photo_loop`, whose steps
    any thread may call): each photo is shown until processed, always emitted for
    display, and ``source_ended`` never comes (the loop waits for steps); the photo
    signals below tell what it does.

    Parameters
    ----------
    source : FrameSource
        Not yet opened; the worker opens and closes it in its thread.
    sink : callable
        Called in the worker thread with each :class:`Frame` (read-only image), e.g.
        :meth:`RecognitionLoop.submit_frame`; must not block.
    ticket : int
        Sent as the first argument of every signal, so that a receiver can ignore
        signals still queued from a worker it has replaced.
    display : faceapp.session.window_display.DisplaySize, optional
        Where the frames are shown: the display copies are scaled to it.
    photo_interval_s : float, optional
        Step ``source`` (an :class:`ImageFolderSource`) one photo at a time, each on
        screen at least this many seconds; None (the default) reads it at its own rate,
        like any source.

    Raises
    ------
    TypeError
        When ``photo_interval_s`` is given with a source that is not a folder of photos.
    """

    #: Emitted from the capture thread: ticket, the frame as a QImage owning its bytes,
    #: the frame's index and its timestamp in seconds.
    frame_ready = Signal(int, QImage, int, float)
    #: Emitted from the capture thread once the source is open: ticket, name, fps, live.
    source_opened = Signal(int, str, float, bool)
    #: Emitted from the capture thread when the source cannot be opened or fails while
    #: reading: ticket and one sentence for users.  The loop ends afterwards.
    source_failed = Signal(int, str)
    #: Emitted from the capture thread when a finite source has no more frames: ticket.
    source_ended = Signal(int)
    #: Emitted from the capture thread when a live source is lost, at each failed attempt
    #: to reopen it, and when it is back: ticket and the (frozen) ``LinkStatus``.
    link_changed = Signal(int, object)
    #: Emitted from the capture thread when a photo is shown: ticket, its position, the
    #: number of photos, and its path.
    photo_shown = Signal(int, int, int, str)
    #: Emitted from the capture thread when a photo cannot be read: ticket, position,
    #: number of photos, path and one sentence for users; the loop goes on.
    photo_failed = Signal(int, int, int, str, str)
    #: Emitted from the capture thread each time a non-looping folder's end is reached
    #: (the last photo done, or a step past it): ticket and the number of photos.
    photos_done = Signal(int, int)

    def __init__(
        self,
        source: FrameSource,
        sink: Callable[[Frame], None],
        ticket: int = 0,
        display: DisplaySize | None = None,
        photo_interval_s: float | None = None,
    ) -> None:
        super().__init__()
        self.source = source
        self._display = display
        self.ticket = ticket
        self._sink = sink
        #: The display copies on their way to the GUI (and those dropped).
        self.pacing = DisplayPacing()
        #: The photo loop stepping a folder of photos (None for other sources).
        self.photo_loop: PhotoLoop | None = None
        #: The capture loop this thread drives (pause, frames read: any thread).
        self.loop = self._make_loop(source, photo_interval_s)
        self._drive(self.loop)

    def _make_loop(self, source: FrameSource, photo_interval_s: float | None) -> CaptureLoop:
        """Return the session loop this worker drives: a photo loop when stepping photos."""
        if photo_interval_s is None:
            return CaptureLoop(
                source,
                self._deliver,
                on_opened=self._on_opened,
                on_failed=self._on_failed,
                on_ended=lambda: self.source_ended.emit(self.ticket),
                on_link=lambda status: self.link_changed.emit(self.ticket, status),
            )
        if not isinstance(source, ImageFolderSource):
            raise TypeError(f"only a folder of photos is stepped photo by photo, not {source!r}")
        self.photo_loop = PhotoLoop(
            source,
            self._deliver,
            photo_interval_s,
            on_shown=lambda i, n, path: self.photo_shown.emit(self.ticket, i, n, path),
            on_photo_failed=lambda i, n, path, msg: self.photo_failed.emit(
                self.ticket, i, n, path, msg
            ),
            on_done=lambda n: self.photos_done.emit(self.ticket, n),
            on_opened=self._on_opened,
            on_failed=self._on_failed,
        )
        return self.photo_loop

    def _on_opened(self, name: str, fps: float, live: bool) -> None:
        self.source_opened.emit(self.ticket, name, fps, live)

    def _on_failed(self, message: str) -> None:
        self.source_failed.emit(self.ticket, message)

    def _deliver(self, frame: Frame) -> None:
        """Hand ``frame`` to the sink and emit it for display unless the GUI is behind.

        A photo is always emitted: it stays on screen until processed.
        """
        self._sink(frame)
        if self.pacing.take(always=self.photo_loop is not None):
            size = self._display.get() if self._display is not None else None
            image = qimage_from_bgr(frame.image, size)
            self.frame_ready.emit(self.ticket, image, frame.index, frame.timestamp)
