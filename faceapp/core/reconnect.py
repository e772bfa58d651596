"""Reconnecting a live source that goes away: a wrapper driven by the caller's own loop."""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from faceapp.core.errors import SourceError
from faceapp.core.sources import Frame, FrameSource

log = logging.getLogger(__name__)

#: Seconds between reconnection attempts: the first wait, the next, ... then the last again.
#: Capped at 2 s so that a camera that comes back is read again within about 3 s (the
#: wait, then opening it).
DEFAULT_BACKOFF_S: tuple[float, ...] = (0.5, 1.0, 2.0)

#: What a window or terminal shows while a source is being reconnected.
LOST_TEXT = "Camera lost — reconnecting…"


class LinkState(str, enum.Enum):
    """Where a :class:`ReconnectingSource` stands."""

    CLOSED = "closed"
    LIVE = "live"
    LOST = "lost"
    ENDED = "ended"


@dataclass(frozen=True)
class LinkStatus:
    """One change of a :class:`ReconnectingSource`'s state; immutable, safe across threads.

    Parameters
    ----------
    state : LinkState
    name : str
        The source's name (a network address with its password hidden).
    reason : str
        One line: why it was lost (the source's error), or empty.
    attempts : int
        Failed reconnection attempts since it was lost (0 when live).
    retry_in_s : float
        Seconds until the next attempt (0 when live or ended).
    lost_for_s : float
        Seconds since it was lost (0 when live, or the length of the outage on the
        first LIVE after one).
    """

    state: LinkState
    name: str
    reason: str = ""
    attempts: int = 0
    retry_in_s: float = 0.0
    lost_for_s: float = 0.0

    @property
    def text(self) -> str:
        """A short line to show: :data:`LOST_TEXT` while lost, else empty."""
        return LOST_TEXT if self.state is LinkState.LOST else ""


def _ignore(_status: LinkStatus) -> None:
    """Do nothing: nobody listens."""


def _no_sleep_interrupt(seconds: float) -> bool:
    """Sleep ``seconds``; never interrupted (returns False)."""
    time.sleep(max(0.0, seconds))
    return False


class ReconnectingSource:
    """A live source that, when it stops delivering, says so and reopens it with back-off.

    It wraps a :class:`~faceapp.core.sources.FrameSource` and is one itself, so a capture
    loop reads it as before.  When a read of a live source raises
    :class:`~faceapp.core.errors.SourceError` (a network camera closed the stream or sent
    nothing for its read timeout; a USB camera stopped answering), the source is closed,
    ``on_status`` gets a ``LOST`` :class:`LinkStatus`, and it is reopened after 0.5, 1, 2,
    2, ... s (``backoff``) until it opens; then ``on_status`` gets ``LIVE`` and frames
    flow again.  Nothing runs in a thread of its own: the work happens in :meth:`poll`
    and :meth:`read`, in the caller's thread.

    Frames keep counting across reconnections (``index``), and a live source's
    ``timestamp`` is wall time since :meth:`open`, so an outage shows as a gap in time.
    A finite source (a file) is passed through: its end is the end, its failure an error.

    Parameters
    ----------
    source : FrameSource
        Not yet opened.
    on_status : callable, optional
        ``(LinkStatus)``, called in the reading thread at each change of state and at
        each failed attempt.
    backoff : sequence of float
        Seconds to wait before each attempt; the last one repeats.
    sleep : callable, optional
        ``(seconds) -> bool``: how :meth:`read` waits between attempts; returns True to
        stop waiting for good (e.g. :meth:`faceapp.session.runner.Runner.sleep`, True
        when the loop is stopping), after which :meth:`read` returns None.  Default:
        :func:`time.sleep`, never interrupted.
    clock : callable, optional
        Monotonic seconds (tests pass a fake).

    Notes
    -----
    The first :meth:`open` is not retried: an address that does not answer at the start
    is an error the user should see (:class:`SourceError`).  Reopening blocks the calling
    thread for up to the source's open timeout (:data:`~faceapp.core.sources.OPEN_TIMEOUT_S`
    for a network camera).
    """

    def __init__(
        self,
        source: FrameSource,
        on_status: Callable[[LinkStatus], None] = _ignore,
        backoff: Sequence[float] = DEFAULT_BACKOFF_S,
        sleep: Callable[[float], bool] = _no_sleep_interrupt,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not backoff or any(b < 0 for b in backoff):
            raise ValueError("backoff must hold at least one wait, none negative")
        self.source = source
        self.on_status = on_status
        self.backoff = tuple(float(b) for b in backoff)
        self._sleep = sleep
        self._clock = clock
        self.state = LinkState.CLOSED
        self.reason = ""
        self.attempts = 0
        #: Times the source came back after being lost.
        self.reconnections = 0
        self._next_try = 0.0
        self._lost_at = 0.0
        self._t0 = 0.0
        self._index = 0

    # -- FrameSource -------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The wrapped source's name."""
        return self.source.name

    @property
    def fps(self) -> float:
        """The wrapped source's frame rate."""
        return self.source.fps

    @property
    def live(self) -> bool:
        """Whether the wrapped source is live."""
        return self.source.live

    def open(self) -> None:
        """Open the source; raises :class:`SourceError` as it does (no retry at the start)."""
        self.source.open()
        self.state = LinkState.LIVE
        self.attempts, self.reason, self._index = 0, "", 0
        self._t0 = self._clock()

    def read(self) -> Frame | None:
        """Return the next frame, waiting (and reconnecting) while the source is lost.

        Returns None at the end of a finite source, or when ``sleep`` asked to stop.
        """
        while True:
            frame = self.poll()
            if frame is not None:
                return frame
            if self.state in (LinkState.ENDED, LinkState.CLOSED):
                return None
            if self._sleep(self.retry_in()):
                return None

    def close(self) -> None:
        """Close the source; safe to call twice."""
        self.state = LinkState.CLOSED
        self.source.close()

    # -- stepping ----------------------------------------------------------------------

    def poll(self) -> Frame | None:
        """Do one step without waiting between attempts: read a frame, or try to reopen.

        Returns
        -------
        Frame or None
            A frame; None when the source is lost (and the next attempt is not yet due,
            or failed), ended or closed; see :attr:`state`.

        Raises
        ------
        SourceError
            When a finite source fails (only live sources are reconnected).
        """
        if self.state is LinkState.LIVE:
            return self._read_live()
        if self.state is LinkState.LOST and self._clock() >= self._next_try:
            self._reopen()
            if self.state is LinkState.LIVE:
                return self._read_live()
        return None

    def retry_in(self) -> float:
        """Return seconds until the next reconnection attempt (0 unless lost)."""
        if self.state is not LinkState.LOST:
            return 0.0
        return max(0.0, self._next_try - self._clock())

    def _read_live(self) -> Frame | None:
        """Read one frame from the open source; on failure of a live source, mark it lost."""
        try:
            frame = self.source.read()
        except SourceError as exc:
            if not self.source.live:
                raise
            self._lost(str(exc))
            return None
        if frame is None:
            if self.source.live:  # a live source has no end: it went away
                self._lost(f"{self.name} ended its stream")
            else:
                self.state = LinkState.ENDED
                self._report()
            return None
        if not self.source.live:
            return frame
        result = Frame(frame.image, self._index, self._clock() - self._t0)
        self._index += 1
        return result

    def _lost(self, reason: str) -> None:
        """Close the source and schedule the first reconnection attempt."""
        log.info("%s lost: %s; reconnecting", self.name, reason)
        self._close_quietly()
        self.state, self.reason, self.attempts = LinkState.LOST, reason, 0
        self._lost_at = self._clock()
        self._next_try = self._lost_at + self.backoff[0]
        self._report()

    def _reopen(self) -> None:
        """Try to open the source once; LIVE on success, the next wait scheduled otherwise."""
        try:
            self.source.open()
        except SourceError as exc:
            self.attempts += 1
            self.reason = str(exc)
            wait = self.backoff[min(self.attempts, len(self.backoff) - 1)]
            self._next_try = self._clock() + wait
            log.debug(
                "%s: attempt %d failed (%s); next in %.1f s", self.name, self.attempts, exc, wait
            )
            self._close_quietly()
            self._report()
            return
        outage = self._clock() - self._lost_at
        self.state, self.attempts, self.reason = LinkState.LIVE, 0, ""
        self.reconnections += 1
        log.info("%s is back after %.1f s", self.name, outage)
        self._report(lost_for_s=outage)

    def _close_quietly(self) -> None:
        """Close the wrapped source, logging (not raising) what goes wrong."""
        try:
            self.source.close()
        except Exception:
            log.exception("closing %s failed", self.name)

    def _report(self, lost_for_s: float | None = None) -> None:
        """Tell ``on_status`` the current state."""
        now = self._clock()
        if lost_for_s is None:
            lost_for_s = now - self._lost_at if self.state is LinkState.LOST else 0.0
        self.on_status(
            LinkStatus(
                self.state, self.name, self.reason, self.attempts, self.retry_in(), lost_for_s
            )
        )
