"""CalibrationLoop: the calibration report of the newest gallery snapshot asked for (no Qt)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from functools import partial

from faceapp.core.calibration import CalibrationReport, calibration_report
from faceapp.core.matching import GalleryIndex
from faceapp.session.runner import Runner

log = logging.getLogger(__name__)

__all__ = ["CalibrationLoop"]


class CalibrationLoop(Runner):
    """Computes :func:`~faceapp.core.calibration.calibration_report` for the newest request.

    Every pair of samples is compared, so a gallery of a few thousand samples takes a
    second or more: never on the GUI thread.  Only the newest request counts: asking
    again while a report is being computed replaces the request still waiting (a
    threshold slider being dragged asks many times; the report follows its last
    position).  The report is computed in a helper thread that :meth:`stop` does not
    wait for (no flag can interrupt numpy): an abandoned one ends on its own and is
    dropped.

    Parameters
    ----------
    on_report : callable
        Called in the loop's thread with the ticket and the (frozen) report.
    on_failed : callable
        Called in the loop's thread with the ticket and one sentence for users.
    """

    def __init__(
        self,
        on_report: Callable[[int, CalibrationReport], None],
        on_failed: Callable[[int, str], None],
    ) -> None:
        super().__init__()
        self._on_report, self._on_failed = on_report, on_failed
        self._cond = threading.Condition()
        self._pending: tuple[int, GalleryIndex, dict[str, float]] | None = None
        self._ticket = 0

    def request(self, index: GalleryIndex, thresholds: Mapping[str, float]) -> int:
        """Ask for the report of ``index`` at ``thresholds`` (label -> distance); any thread.

        Returns the ticket the report comes with; a request still waiting is dropped.
        """
        with self._cond:
            self._ticket += 1
            self._pending = (self._ticket, index, {k: float(v) for k, v in thresholds.items()})
            self._cond.notify_all()
            return self._ticket

    def wake(self) -> None:
        """Interrupt the wait for a request (a stop)."""
        with self._cond:
            self._cond.notify_all()

    def loop(self) -> None:
        """Compute the report of each newest request until stopped."""
        while True:
            with self._cond:
                while self._pending is None and not self.stopping():
                    self._cond.wait(0.5)
                if self.stopping():
                    return
                assert self._pending is not None
                (ticket, index, thresholds), self._pending = self._pending, None
            try:
                report = self.detached(
                    partial(calibration_report, index, thresholds), "faceapp-calibration-report"
                )
            except Exception as exc:  # a bug or a damaged snapshot: say so, keep running
                log.error("the calibration report failed", exc_info=exc)
                self._on_failed(ticket, f"The distances could not be computed: {exc}")
                continue
            if report is None:
                return  # stopped meanwhile
            self._on_report(ticket, report)
