"""CaptureWorker: reads a frame source at its own rate and emits the frames for display."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import cv2
import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtGui import QImage

from faceapp.core.sources import Frame, FrameSource, SourceError
from faceapp.core.types import as_readonly
from faceapp.gui.loop_worker import LoopWorker

log = logging.getLogger(__name__)

#: Largest number of frames emitted for display and not yet shown by the GUI; further
#: frames are not emitted (counted as display drops) so a busy GUI never builds a queue.
MAX_FRAMES_IN_FLIGHT = 2

#: A file source more than this many seconds behind its schedule stops catching up
#: (the schedule restarts from the current frame) instead of racing through frames.
MAX_LAG_S = 0.5


def qimage_from_bgr(image: np.ndarray) -> QImage:
    """Return a ``QImage`` that owns a copy of a BGR uint8 ``(h, w, 3)`` array.

    Safe to call from any thread; the result may be sent to the GUI thread.  The copy is
    in ``Format_RGB32`` (bytes B, G, R, 0xFF), the format Qt paints from directly: a
    ``Format_BGR888`` image would be converted again at every paint, on the GUI thread
    (1.3 ms more per frame at 640x360).
    """
    bgra = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_BGR2BGRA)
    h, w = bgra.shape[:2]
    return QImage(bgra.data, w, h, bgra.strides[0], QImage.Format.Format_RGB32).copy()


class CaptureWorker(LoopWorker):
    """Reads a frame source at its own rate, emits every frame for display, and hands it on.

    Parameters
    ----------
    source : FrameSource
        Not yet opened; the worker opens and closes it in its thread.
    sink : callable
        Called in the worker thread with each :class:`Frame` (read-only image), e.g.
        :meth:`RecognitionWorker.submit_frame`; must not block.
    token : int
        Sent as the first argument of every signal, so that a receiver can ignore
        signals still queued from a worker it has replaced.
    """

    #: Emitted from the capture thread: token, the frame as a QImage owning its bytes,
    #: the frame's index and its timestamp in seconds.
    frame_ready = Signal(int, QImage, int, float)
    #: Emitted from the capture thread once the source is open: token, name, fps, live.
    source_opened = Signal(int, str, float, bool)
    #: Emitted from the capture thread when the source cannot be opened or fails while
    #: reading: token and one sentence for users.  The loop ends afterwards.
    source_failed = Signal(int, str)
    #: Emitted from the capture thread when a finite source has no more frames: token.
    source_ended = Signal(int)

    def __init__(self, source: FrameSource, sink: Callable[[Frame], None], token: int = 0) -> None:
        super().__init__()
        self.source = source
        self.token = token
        self._sink = sink
        self._lock = threading.Lock()
        self._in_flight = 0
        self._paused = threading.Event()
        self.frames_read = 0
        self.display_drops = 0

    def set_paused(self, paused: bool) -> None:
        """Stop (or resume) reading frames; the last frame stays on screen (any thread)."""
        if paused:
            self._paused.set()
        else:
            self._paused.clear()

    def paused(self) -> bool:
        """Return True while reading is paused."""
        return self._paused.is_set()

    def frame_shown(self) -> None:
        """Tell the worker the GUI has taken one emitted frame (any thread)."""
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)

    def _loop(self) -> None:
        name = self.source.name
        try:
            self.source.open()
        except SourceError as exc:
            self.source_failed.emit(self.token, str(exc))
            return
        except Exception as exc:
            log.exception("opening %s failed", name)
            self.source_failed.emit(self.token, f"could not open {name}: {exc}")
            return
        try:
            fps, live = float(self.source.fps), bool(self.source.live)
            self.source_opened.emit(self.token, name, fps, live)
            self._read_frames(name)
        finally:
            try:
                self.source.close()
            except Exception:
                log.exception("closing %s failed", name)

    def _read_frames(self, name: str) -> None:
        start_wall: float | None = None
        start_ts = 0.0
        while not self.stopping():
            if self._paused.is_set():
                # A file resumes where it stopped, on a new schedule; a camera's
                # frames of the pause are not read, so its driver drops them.
                start_wall = None
                if self._sleep(0.05):
                    return
                continue
            try:
                frame = self.source.read()
            except SourceError as exc:
                self.source_failed.emit(self.token, str(exc))
                return
            except Exception as exc:
                log.exception("reading %s failed", name)
                self.source_failed.emit(self.token, f"{name} failed: {exc}")
                return
            if frame is None:
                self.source_ended.emit(self.token)
                return
            if not self.source.live:
                # Show file frames at their own rate: sleep until this frame is due.
                now = time.monotonic()
                if start_wall is None:
                    start_wall, start_ts = now, frame.timestamp
                delay = start_wall + (frame.timestamp - start_ts) - now
                if delay < -MAX_LAG_S:
                    start_wall, start_ts = now, frame.timestamp
                elif delay > 0 and self._sleep(delay):
                    return
            self._deliver(frame)

    def _deliver(self, frame: Frame) -> None:
        as_readonly(frame.image)
        self.frames_read += 1
        self._sink(frame)
        with self._lock:
            show = self._in_flight < MAX_FRAMES_IN_FLIGHT
            if show:
                self._in_flight += 1
        if show:
            image = qimage_from_bgr(frame.image)
            self.frame_ready.emit(self.token, image, frame.index, frame.timestamp)
        else:
            self.display_drops += 1
