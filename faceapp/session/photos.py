"""PhotoLoop: steps through a folder of photos, each handed on until it has been processed."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from faceapp.core.images import ImageError
from faceapp.core.sources import Frame, ImageFolderSource
from faceapp.session.live import CaptureLoop
from faceapp.session.runner import ignore

log = logging.getLogger(__name__)


class PhotoLoop(CaptureLoop):
    """Hands the photos of an :class:`ImageFolderSource` on one at a time, each until processed.

    Unlike a video, a folder is not played at a rate: each photo is handed to
    recognition once per visit and stays current until its result is reported
    (:meth:`mark_processed`) *and* at least ``min_interval_s`` has passed; only then
    does the next one come.  So a photo is never skipped, whatever the model's speed,
    and a cold start simply waits for the model.  When the model failed to load
    (:meth:`set_model_failed`) the photos go by at the interval, unprocessed.  Pause
    holds the current photo; :meth:`next`, :meth:`previous` and :meth:`go_to` step at
    any time, paused or not.  At the end of a folder that does not loop, the last photo
    stays and ``on_done`` is called; stepping back still works.

    Frames carry the photo's position in ``source.photos`` as their index, so a result
    (``FrameResult.index``) names its photo.  ``on_ended`` is never called: the loop
    waits for steps.

    Parameters
    ----------
    source : ImageFolderSource
        Not yet opened.
    sink : callable
        See :class:`~faceapp.session.live.CaptureLoop`.
    min_interval_s : float
        Shortest time a photo stays current, in seconds.
    on_shown : callable, optional
        ``(position, count, path)`` when a photo is handed on.
    on_photo_failed : callable, optional
        ``(position, count, path, message)`` when a photo cannot be read; the loop goes on.
    on_done : callable, optional
        ``(count)`` each time a non-looping folder's end is reached.
    on_opened, on_failed : callable, optional
        See :class:`~faceapp.session.live.CaptureLoop`.

    Notes
    -----
    Every public method other than :meth:`run` may be called from any thread.
    """

    def __init__(
        self,
        source: ImageFolderSource,
        sink: Callable[[Frame], None],
        min_interval_s: float = 1.0,
        on_shown: Callable[[int, int, str], None] = ignore,
        on_photo_failed: Callable[[int, int, str, str], None] = ignore,
        on_done: Callable[[int], None] = ignore,
        on_opened: Callable[[str, float, bool], None] = ignore,
        on_failed: Callable[[str], None] = ignore,
    ) -> None:
        super().__init__(source, sink, on_opened=on_opened, on_failed=on_failed)
        self.folder = source
        self.on_shown, self.on_photo_failed, self.on_done = on_shown, on_photo_failed, on_done
        self._cond = threading.Condition()
        self._interval = max(0.0, float(min_interval_s))
        self._model_failed = False
        self._target: int | None = None  # a step asked for: the position to show next
        self._processed: set[int] = set()  # positions processed during their current visit
        self._position = -1
        #: Photos handed on so far (a photo visited twice counts twice).
        self.visits = 0

    # -- thread-safe inputs ------------------------------------------------------------

    def mark_processed(self, position: int) -> None:
        """Report that the photo at ``position`` has been processed (any thread)."""
        with self._cond:
            self._processed.add(position)
            self._cond.notify_all()

    def set_model_failed(self, failed: bool = True) -> None:
        """Go on at the interval without waiting for results (any thread)."""
        with self._cond:
            self._model_failed = failed
            self._cond.notify_all()

    def set_min_interval(self, seconds: float) -> None:
        """Keep each photo current at least ``seconds`` from now on (any thread)."""
        with self._cond:
            self._interval = max(0.0, float(seconds))
            self._cond.notify_all()

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
        """Return the position of the current photo, -1 before the first (any thread)."""
        with self._cond:
            return self._position

    def wake(self) -> None:
        """Interrupt the wait for a step (a stop, a pause)."""
        with self._cond:
            self._cond.notify_all()

    # -- the loop ----------------------------------------------------------------------

    def read_frames(self, name: str) -> None:
        """Step through the photos until stopped."""
        n = len(self.folder.photos)
        position = 0
        while not self.stopping():
            self._show(position, n)
            step = self._wait_for_step(position)
            if step is None:
                return
            if step == position + 1 and step >= n and not self.folder.loop:
                # The end of the folder: keep the last photo, wait for a step back.
                self.on_done(n)
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
            self.on_photo_failed(position, n, str(path), str(exc))
            self.mark_processed(position)  # nothing to wait for
            return
        self.on_shown(position, n, str(path))
        self.deliver(Frame(image, position, float(self.visits)))

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
