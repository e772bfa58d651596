"""Rate meters of the live loop: frames shown and processed per second, latency, faces."""

from __future__ import annotations

import time
from collections import deque

from faceapp.core.types import FrameResult


class RateMeter:
    """Counts events and reports their rate over a sliding window.

    Parameters
    ----------
    window_s : float
        Length of the window the rate is measured over, in seconds.
    """

    def __init__(self, window_s: float = 2.0) -> None:
        self.window_s = window_s
        self.count = 0
        self.first: float | None = None
        self.last: float | None = None
        self._times: deque[float] = deque()

    def tick(self, now: float | None = None) -> None:
        """Record one event at ``now`` (monotonic seconds; default: the current time)."""
        t = time.monotonic() if now is None else now
        self.count += 1
        self.first = t if self.first is None else self.first
        self.last = t
        self._times.append(t)
        while self._times and self._times[0] < t - self.window_s:
            self._times.popleft()

    def rate(self, now: float | None = None) -> float:
        """Events per second over the last window (0 when fewer than two events)."""
        t = time.monotonic() if now is None else now
        while self._times and self._times[0] < t - self.window_s:
            self._times.popleft()
        if len(self._times) < 2:
            return 0.0
        return (len(self._times) - 1) / max(self._times[-1] - self._times[0], 1e-6)

    def restart_window(self) -> None:
        """Forget the events in the sliding window, so the rate counts only what follows.

        The totals behind :meth:`mean_rate` are kept.
        """
        self._times.clear()

    def mean_rate(self) -> float:
        """Events per second between the first and the last event (0 if fewer than two)."""
        if self.first is None or self.last is None or self.count < 2:
            return 0.0
        return (self.count - 1) / max(self.last - self.first, 1e-6)


class LiveMeters:
    """What the status bar shows of a live source: rates, the latest latency and faces.

    Ticked by whoever receives the frames and results (the window's context, on its
    thread); read by the status bar and logged at the end of a session.  Not
    thread-safe: use it from one thread.
    """

    def __init__(self) -> None:
        #: Frames put on screen.
        self.shown = RateMeter()
        #: Results received.
        self.processed = RateMeter()
        #: Processing time of the latest result, in milliseconds.
        self.latency_ms = 0.0
        #: Faces in the latest result.
        self.faces = 0

    def frame_shown(self) -> None:
        """Count a frame put on screen."""
        self.shown.tick()

    def result(self, result: FrameResult) -> None:
        """Count a result and keep its latency and number of faces."""
        self.processed.tick()
        self.latency_ms, self.faces = result.latency_ms, len(result.faces)

    def new_source(self) -> None:
        """Start afresh after a new source or a gap in the same one.

        The latest latency and faces are forgotten and the rates count only frames that
        come after; the session's totals (:meth:`RateMeter.mean_rate`) go on.
        """
        self.latency_ms, self.faces = 0.0, 0
        self.shown.restart_window()
        self.processed.restart_window()
