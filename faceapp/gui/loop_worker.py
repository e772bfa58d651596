"""LoopWorker: the base of the GUI's workers, a loop in its own QThread with a defined stop."""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

log = logging.getLogger(__name__)


class LoopWorker(QObject):
    """Base of the workers: a ``run()`` loop in its own ``QThread`` with a defined stop.

    Subclasses implement :meth:`_loop`, call :meth:`stopping` on each pass and sleep
    only with :meth:`_sleep` (or a wait that :meth:`_wake` interrupts).
    """

    #: Emitted from the worker thread when ``run()`` returns, whatever the reason.
    finished = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._stop = threading.Event()
        self._thread: QThread | None = None

    def start(self, name: str) -> None:
        """Move the worker to a new ``QThread`` called ``name`` and start its loop.

        Call once, from the GUI thread.
        """
        if self._thread is not None:
            raise RuntimeError("a worker can be started once")
        thread = QThread()
        thread.setObjectName(name)
        self.moveToThread(thread)
        thread.started.connect(self.run)
        self.finished.connect(thread.quit)
        self._thread = thread
        thread.start()

    def stop(self) -> None:
        """Ask the loop to end and wait until its thread has finished.

        Safe to call several times, and before :meth:`start`.  Blocks for at most one
        pass of the loop: one frame read, one inference or one enrolment photo (never
        for a model load, see :class:`RecognitionWorker`).
        """
        self._stop.set()
        self._wake()
        thread = self._thread
        if thread is None:
            return
        thread.quit()
        if not thread.wait(60_000):  # pragma: no cover - a loop that ignores the flag
            log.error("%s did not stop within 60 s", thread.objectName())

    def is_running(self) -> bool:
        """Return True while the worker's thread runs."""
        return self._thread is not None and self._thread.isRunning()

    def stopping(self) -> bool:
        """Return True once :meth:`stop` was called; the loop checks it on each pass."""
        return self._stop.is_set()

    @Slot()
    def run(self) -> None:
        """Run the loop in the worker thread; never raises."""
        try:
            self._loop()
        except Exception:  # a bug: log it, do not take the thread (or the app) down
            log.exception("%s failed", type(self).__name__)
        finally:
            # Hand the object back to the GUI thread so it is deleted there, normally.
            app = QCoreApplication.instance()
            if app is not None:
                self.moveToThread(app.thread())
            self.finished.emit()

    def _loop(self) -> None:
        raise NotImplementedError

    def _sleep(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; return True when woken by :meth:`stop`."""
        return self._stop.wait(max(0.0, seconds))

    def _wake(self) -> None:
        """Interrupt a sleeping loop (subclasses with their own waits extend this)."""
