"""PhotoPlayer: steps through a folder of photos, each shown until it has been processed."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from PySide6.QtCore import Signal

from faceapp.core.images import ImageError
from faceapp.core.sources import Frame, ImageFolderSource
from faceapp.gui.capture_worker import CaptureWorker

log = logging.getLogger(__name__)


class PhotoPlayer(CaptureWorker):
    """Shows the photos of an :class:`ImageFolderSource` one at a time, each until processed.

    Unlike a video, a folder is not played at a rate: each photo is handed to the
    recognition worker once per visit and stays on screen until the window reports its
    result (:meth:`mark_processed`) *and* at least ``min_interval_s`` has passed; only
    then does the next one come.  So a photo is never skipped, whatever the model's
    speed, and a cold start simply waits for the model (the first photo's result comes
    once the model is loaded).  When the model failed to load (:meth:`set_model_failed`)
    the photos are shown at the interval, unprocessed.  Pause holds the current photo;
    :meth:`next`, :meth:`previous` and :meth:`go_to` step at any time, paused or not.
    At the end of a folder that does not loop, the last photo stays and
    ``photos_done`` is emitted; stepping back still works.

    Frames carry the photo's position in ``source.photos`` as their index, so a result
    (``FrameResult.index``) names its photo.  The signals of :class:`CaptureWorker` are
    emitted as for any source (``source_ended`` never: the player waits for steps).

    Parameters
    ----------
    source : ImageFolderSource
        Not yet opened; the player opens it in its thread.
    sink : callable
        Called in the player's thread with each :class:`Frame`, e.g.
        :meth:`RecognitionWorker.submit_frame`; must not block.
    token : int
        See :class:`CaptureWorker`.
    min_interval_s : float
        Shortest time a photo stays on screen, in seconds.
    """

    #: Emitted from the player's thread when a photo is shown: token, its position,
    #: the number of photos, and its path.
    photo_shown = Signal(int, int, int, str)
    #: Emitted from the player's thread when a photo cannot be read: token, position,
    #: number of photos, path and one sentence for users; the player goes on.
    photo_failed = Signal(int, int, int, str, str)
    #: Emitted from the player's thread each time a non-looping folder's end is reached
    #: (the last photo done, or a step past it): token and the number of photos.
    photos_done = Signal(int, int)

    def __init__(
        self,
        source: ImageFolderSource,
        sink: Callable[[Frame], None],
        token: int = 0,
        min_interval_s: float = 1.0,
    ) -> None:
        super().__init__(source, sink, token)
        self.folder = source
        self._cond = threading.Condition()
        self._interval = max(0.0, float(min_interval_s))
        self._model_failed = False
        self._target: int | None = None  # a step asked for: the position to show next
        self._processed: set[int] = set()  # positions processed during their current visit
        self._position = -1
        self.visits = 0

    # -- thread-safe inputs ------------------------------------------------------------

    def mark_processed(self, position: int) -> None:
        """Report that the photo at ``position`` has been processed (any thread)."""
        with self._cond:
            self._processed.add(position)
            self._cond.notify_all()

    def set_model_failed(self, failed: bool = True) -> None:
        """Show the photos at the interval without waiting for results (any thread)."""
        with self._cond:
            self._model_failed = failed
            self._cond.notify_all()

    def set_min_interval(self, seconds: float) -> None:
        """Keep each photo on screen at least ``seconds`` from now on (any thread)."""
        with self._cond:
            self._interval = max(0.0, float(seconds))
            self._cond.notify_all()

    def set_paused(self, paused: bool) -> None:
        """Hold (or release) the current photo (any thread)."""
        super().set_paused(paused)
        self._wake()

    def go_to(self, position: int) -> None:
        """Show the photo at ``position`` next (clipped to the folder; any thread)."""
        with self._cond:
            self._target = position
            self._cond.notify_all()

    def next(self) -> None:
        """Show the next photo (any thread); after the last, the first when looping."""
        with self._cond:
            base = self._target if self._target is not None else self._position
            self._target = base + 1
            self._cond.notify_all()

    def previous(self) -> None:
        """Show the previous photo (any thread); before the first, the last when looping."""
        with self._cond:
            base = self._target if self._target is not None else self._position
            self._target = base - 1
            self._cond.notify_all()

    def position(self) -> int:
        """Return the position of the photo on screen, -1 before the first (any thread)."""
        with self._cond:
            return self._position

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    # -- the loop ----------------------------------------------------------------------

    def _read_frames(self, name: str) -> None:
        n = len(self.folder.photos)
        position = 0
        while not self.stopping():
            self._show(position, n)
            step = self._wait_for_step(position)
            if step is None:
                return
            if step == position + 1 and step >= n and not self.folder.loop:
                # The end of the folder: keep the last photo, wait for a step back.
                self.photos_done.emit(self.token, n)
                step = self._wait_for_explicit_step()
                if step is None:
                    return
            position = step % n if self.folder.loop else min(max(step, 0), n - 1)

    def _show(self, position: int, n: int) -> None:
        """Read the photo at ``position`` and hand it on (or report it unreadable)."""
        path = self.folder.photos[position]
        with self._cond:
            self._position = position
            self._processed.discard(position)
            self.visits += 1
        try:
            image = self.folder.photo(position)
        except ImageError as exc:
            log.warning("photo %s: %s", path, exc)
            self.photo_failed.emit(self.token, position, n, str(path), str(exc))
            self.mark_processed(position)  # nothing to wait for
            return
        self.photo_shown.emit(self.token, position, n, str(path))
        with self._lock:
            self._in_flight = 0  # a photo is always shown: never dropped for display
        self._deliver(Frame(image, position, float(self.visits)))

    def _wait_for_step(self, position: int) -> int | None:
        """Wait until a step is asked for or the photo is done; return where to go next.

        Returns None when stopped.
        """
        shown_at = time.monotonic()
        with self._cond:
            while not self.stopping():
                if self._target is not None:
                    target, self._target = self._target, None
                    return target
                waited = time.monotonic() - shown_at
                processed = position in self._processed or self._model_failed
                if processed and waited >= self._interval and not self.paused():
                    return position + 1
                remaining = self._interval - waited
                self._cond.wait(remaining if processed and remaining > 0 else 0.25)
        return None

    def _wait_for_explicit_step(self) -> int | None:
        with self._cond:
            while not self.stopping():
                if self._target is not None:
                    target, self._target = self._target, None
                    return target
                self._cond.wait(0.25)
        return None
