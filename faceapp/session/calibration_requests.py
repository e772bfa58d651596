"""The calibration dialog's report requests: which answer counts, when to ask again (Qt-free)."""

from __future__ import annotations


class CalibrationRequests:
    """Which calibration report the dialog asked for last, and whether to ask again.

    The dialog asks its worker for a report for each new gallery and for new
    thresholds; only the answer to the last request is shown (an older one is
    outdated).  Once stopped, nothing more is asked.

    Attributes
    ----------
    ticket : int
        The worker's ticket of the last request (0: none yet).
    asked : dict of str to float, or None
        The thresholds of the last request (label -> distance); None before the first.
    stopped : bool
        True once :meth:`stop` was called.
    """

    def __init__(self) -> None:
        self.ticket = 0
        self.asked: dict[str, float] | None = None
        self.stopped = False

    def sent(self, ticket: int, thresholds: dict[str, float]) -> None:
        """Record a request made: its ``ticket`` and the ``thresholds`` asked."""
        self.ticket, self.asked = ticket, dict(thresholds)

    def is_last(self, ticket: int) -> bool:
        """Return True when ``ticket`` answers the last request (its report is shown)."""
        return ticket == self.ticket

    def outdated(self, thresholds: dict[str, float]) -> bool:
        """Return True when ``thresholds`` are not those last asked (a new report is needed)."""
        return thresholds != self.asked

    def stop(self) -> bool:
        """Stop asking; return True the first time (the worker is then to be stopped)."""
        first, self.stopped = not self.stopped, True
        return first
