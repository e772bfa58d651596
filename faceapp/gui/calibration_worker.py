"""CalibrationWorker: computes the calibration report of a gallery snapshot off the GUI thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from functools import partial

from PySide6.QtCore import Signal

from faceapp.core.calibration import calibration_report
from faceapp.core.matching import GalleryIndex
from faceapp.gui.loop_worker import LoopWorker

log = logging.getLogger(__name__)


class CalibrationWorker(LoopWorker):
    """Computes :func:`~faceapp.core.calibration.calibration_report` in its own thread.

    Every pair of samples is compared, so a gallery of a few thousand samples takes a
    second or more: never on the GUI thread.  Only the newest request counts: asking
    again while a report is being computed replaces the request still waiting (a
    threshold slider being dragged asks many times; the report follows its last
    position).

    Notes
    -----
    :meth:`request` is thread-safe and may be called before :meth:`start`.  Signals are
    emitted from the worker thread and carry immutable values (the report is frozen,
    its arrays read-only).  The report itself is computed in a helper thread that
    :meth:`stop` does not wait for (no flag can interrupt numpy): closing the dialog
    never waits for a report; an abandoned one ends on its own and is dropped.
    """

    #: A report is ready: the ticket :meth:`request` returned and the
    #: :class:`~faceapp.core.calibration.CalibrationReport`.
    report_ready = Signal(int, object)
    #: Computing the report for this ticket failed: the ticket and one sentence for users.
    report_failed = Signal(int, str)

    def __init__(self) -> None:
        super().__init__()
        self._cond = threading.Condition()
        self._pending: tuple[int, GalleryIndex, dict[str, float]] | None = None
        self._ticket = 0

    def request(self, index: GalleryIndex, thresholds: Mapping[str, float]) -> int:
        """Ask for the report of ``index`` at ``thresholds`` (label -> distance).

        Returns the ticket ``report_ready`` carries; a request still waiting is dropped.
        """
        with self._cond:
            self._ticket += 1
            self._pending = (self._ticket, index, {k: float(v) for k, v in thresholds.items()})
            self._cond.notify_all()
            return self._ticket

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while self._pending is None and not self.stopping():
                    self._cond.wait(0.5)
                if self.stopping():
                    return
                assert self._pending is not None
                (ticket, index, thresholds), self._pending = self._pending, None
            try:
                report = self._detached(
                    partial(calibration_report, index, thresholds), "faceapp-calibration-report"
                )
            except Exception as exc:  # a bug or a damaged snapshot: say so, keep running
                log.error("the calibration report failed", exc_info=exc)
                self.report_failed.emit(ticket, f"The distances could not be computed: {exc}")
                continue
            if report is None:
                return  # stopped meanwhile
            self.report_ready.emit(ticket, report)
