"""How the window's display copies of frames are sized and paced (no Qt): any thread."""

from __future__ import annotations

import threading

__all__ = ["MAX_DISPLAY_SIDE", "MAX_FRAMES_IN_FLIGHT", "DisplayPacing", "DisplaySize"]

#: Largest number of frames emitted for display and not yet shown by the GUI; further
#: frames are not emitted (counted as display drops) so a busy GUI never builds a queue.
MAX_FRAMES_IN_FLIGHT = 2

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


class DisplayPacing:
    """How many display copies are on their way to the GUI, at most ``limit``; any thread.

    The capture thread asks :meth:`take` before it makes a display copy; the GUI thread
    calls :meth:`shown` for each copy it takes.  A copy refused is counted in
    :attr:`drops`.

    Parameters
    ----------
    limit : int
        The most copies emitted and not yet shown.
    """

    def __init__(self, limit: int = MAX_FRAMES_IN_FLIGHT) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._in_flight = 0
        #: Frames not emitted for display because the GUI was behind.
        self.drops = 0

    def take(self, always: bool = False) -> bool:
        """Return True when one more copy may be emitted (and count it), else count a drop.

        ``always`` forgets the copies in flight first (a photo is always shown).
        """
        with self._lock:
            if always:
                self._in_flight = 0
            if self._in_flight < self._limit:
                self._in_flight += 1
                return True
            self.drops += 1
            return False

    def shown(self) -> None:
        """Count one emitted copy as taken by the GUI."""
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
