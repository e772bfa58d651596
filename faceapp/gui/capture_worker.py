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


#: ``QImage`` text key of a copy scaled for display: the size of the frame it shows, as
#: ``"<width>x<height>"`` (face boxes are in that frame's pixels).
SOURCE_SIZE_KEY = "faceapp-source-size"

#: Largest side, in pixels, a frame is scaled to for display.
MAX_DISPLAY_SIDE = 4096


class DisplaySize:
    """The size, in device pixels, at which the video view shows frames; any thread.

    The video view sets it (GUI thread) when its size or the picture's shape changes;
    the capture thread reads it for every frame and scales the display copy to exactly
    that size with OpenCV, so that painting is a plain copy.  Scaling at paint time
    instead (smooth transform) cost 7 % of a core at 30 fps, on the GUI thread and Qt's
    thread pool (``benchmarks/gui_live.py``).  The size is one tuple, replaced whole: no
    lock is needed.
    """

    def __init__(self) -> None:
        self._size: tuple[int, int] | None = None

    def set(self, width: int, height: int) -> None:
        """Show frames at ``width`` x ``height`` device pixels (nonpositive: as they come)."""
        ok = 0 < width <= MAX_DISPLAY_SIDE and 0 < height <= MAX_DISPLAY_SIDE
        self._size = (int(width), int(height)) if ok else None

    def get(self) -> tuple[int, int] | None:
        """Return the size set last, or None."""
        return self._size


def qimage_from_bgr(image: np.ndarray, size: tuple[int, int] | None = None) -> QImage:
    """Return a ``QImage`` that owns a copy of a BGR uint8 ``(h, w, 3)`` array.

    Safe to call from any thread; the result may be sent to the GUI thread.  The copy is
    in ``Format_RGB32`` (bytes B, G, R, 0xFF), the format Qt paints from directly: a
    ``Format_BGR888`` image would be converted again at every paint, on the GUI thread
    (1.3 ms more per frame at 640x360).

    Parameters
    ----------
    image : ndarray
    size : tuple of int, optional
        ``(width, height)`` to scale the copy to; it then records the frame's own size
        under :data:`SOURCE_SIZE_KEY` (see :func:`source_size`).
    """
    h, w = image.shape[:2]
    scaled = size is not None and size != (w, h)
    if scaled:
        assert size is not None
        shrink = size[0] * size[1] < w * h
        interp = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
        image = cv2.resize(image, size, interpolation=interp)
    bh, bw = image.shape[:2]
    out = QImage(bw, bh, QImage.Format.Format_RGB32)
    # Converted straight into the image's own buffer (rows of exactly 4 * bw bytes).
    pixels = np.frombuffer(out.bits(), np.uint8, count=bh * bw * 4).reshape(bh, bw, 4)
    done = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_BGR2BGRA, dst=pixels)
    if done is not pixels:  # OpenCV made its own array after all
        pixels[:] = done
    if scaled:
        out.setText(SOURCE_SIZE_KEY, f"{w}x{h}")
    return out


def source_size(image: QImage) -> tuple[int, int]:
    """Return ``(width, height)`` of the frame ``image`` shows: its own, unless scaled."""
    text = image.text(SOURCE_SIZE_KEY)
    if text:
        w, _, h = text.partition("x")
        if w.isdigit() and h.isdigit() and int(w) > 0 and int(h) > 0:
            return int(w), int(h)
    return image.width(), image.height()


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
    display : DisplaySize, optional
        Where the frames are shown: the display copies are scaled to it.
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

    def __init__(
        self,
        source: FrameSource,
        sink: Callable[[Frame], None],
        token: int = 0,
        display: DisplaySize | None = None,
    ) -> None:
        super().__init__()
        self.source = source
        self._display = display
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
            size = self._display.get() if self._display is not None else None
            image = qimage_from_bgr(frame.image, size)
            self.frame_ready.emit(self.token, image, frame.index, frame.timestamp)
        else:
            self.display_drops += 1
