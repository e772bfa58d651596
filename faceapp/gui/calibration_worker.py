"""CalibrationWorker: the calibration report of a gallery snapshot in a QThread, as signals."""

from __future__ import annotations

from PySide6.QtCore import Signal

from faceapp.gui.loop_worker import LoopWorker
from faceapp.session.window_calibration import CalibrationLoop


class CalibrationWorker(LoopWorker):
    """Runs a :class:`~faceapp.session.window_calibration.CalibrationLoop` in its own thread.

    Ask with ``loop.request(index, thresholds)`` (thread-safe, also before
    :meth:`start`); only the newest request counts.  Signals are emitted from the
    worker thread and carry immutable values (the report is frozen, its arrays
    read-only).  Closing the dialog never waits for a report being computed.
    """

    #: A report is ready: the ticket ``loop.request`` returned and the
    #: :class:`~faceapp.core.calibration.CalibrationReport`.
    report_ready = Signal(int, object)
    #: Computing the report for this ticket failed: the ticket and one sentence for users.
    report_failed = Signal(int, str)

    def __init__(self) -> None:
        super().__init__()
        #: The loop this thread drives.
        self.loop = CalibrationLoop(self.report_ready.emit, self.report_failed.emit)
        self._drive(self.loop)
