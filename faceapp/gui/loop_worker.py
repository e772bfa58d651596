"""LoopWorker: a QThread that drives a session Runner; the base of the window's workers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import fields
from typing import Any, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from faceapp.session.runner import STOP_WAIT_S, CallQueue, Runner

log = logging.getLogger(__name__)

_T = TypeVar("_T")


class LoopWorker(QObject):
    """A session :class:`~faceapp.session.runner.Runner` driven by its own ``QThread``.

    The window's shape for every worker: the logic is a Qt-free runner (a loop with a
    stop flag and plain callbacks); this object moves to a ``QThread``, runs the
    runner's :meth:`~Runner.run` there, and its subclasses turn the runner's callbacks
    into Qt signals, which reach GUI-thread receivers as queued calls.  :meth:`stop`
    is the runner's stop, then the thread's end.
    """

    #: Emitted from the worker thread when ``run()`` returns, whatever the reason.
    finished = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._runner: Runner | None = None
        self._thread: QThread | None = None

    def _drive(self, runner: Runner) -> None:
        """Drive ``runner`` (once, in the subclass's ``__init__``, before :meth:`start`).

        For subclasses whose runner's callbacks are this object's signals, which exist
        only once ``QObject.__init__`` has run.
        """
        if self._thread is not None:
            raise RuntimeError("the runner is chosen before the worker starts")
        self._runner = runner

    def _emitting(self, callbacks: type[_T], **own: Callable[..., None]) -> _T:
        """Return a ``callbacks`` dataclass whose every callback emits the same-named signal.

        The usual wiring of a session queue's callbacks to this worker's signals; a
        callback in ``own`` (by field name) is used instead of the signal's ``emit``.

        Raises
        ------
        AttributeError
            When a field has no same-named signal and no callback in ``own``.
        """
        calls: dict[str, Any] = {}
        for field in fields(callbacks):  # type: ignore[arg-type]
            calls[field.name] = own.get(field.name) or getattr(self, field.name).emit
        return callbacks(**calls)

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
        """Stop the runner (see :meth:`Runner.stop`) and wait until the thread has finished.

        Safe to call several times, and before :meth:`start`.  Blocks for at most one
        pass of the loop: one frame read, one inference or one enrolment photo (never
        for a model load, see :class:`RecognitionWorker`).
        """
        if self._runner is not None:
            self._runner.stop()
        thread = self._thread
        if thread is None:
            return
        thread.quit()
        if not thread.wait(int(STOP_WAIT_S * 1000)):  # pragma: no cover - ignores the flag
            log.error("%s did not stop within %.0f s", thread.objectName(), STOP_WAIT_S)

    def is_running(self) -> bool:
        """Return True while the worker's thread runs."""
        return self._thread is not None and self._thread.isRunning()

    @Slot()
    def run(self) -> None:
        """Run the runner in the worker thread; never raises."""
        try:
            if self._runner is None:  # a subclass that forgot _drive: a bug, logged
                log.error("%s has no runner to drive", type(self).__name__)
            else:
                self._runner.run()
        finally:
            # Hand the object back to the GUI thread so it is deleted there, normally.
            app = QCoreApplication.instance()
            if app is not None:
                self.moveToThread(app.thread())
            self.finished.emit()


class _CallThread(LoopWorker):
    """One burst of a :class:`CallWorker`'s calls: a CallQueue that ends when it is empty."""

    done = Signal(int, object)
    failed = Signal(int, str)

    def __init__(self) -> None:
        super().__init__()
        self.calls = CallQueue(self.done.emit, self.failed.emit, idle_exit=True)
        self._drive(self.calls)


#: Every burst whose thread may still run, whoever owned it: a QThread deleted while it
#: runs aborts the app, so a burst outlives a dialog collected before its job ended.
_RUNNING: set[_CallThread] = set()


def _forget_ended_bursts() -> None:
    _RUNNING.difference_update([b for b in _RUNNING if not b.is_running()])


class CallWorker(QObject):
    """Runs a dialog's short jobs off the GUI thread, in order, one ``QThread`` per burst.

    :meth:`submit` a call and get its ticket; :attr:`done` or :attr:`failed` arrive
    with that ticket in this object's (GUI) thread.  The thread ends as soon as no
    call is left, so nothing waits idle behind a dialog; :meth:`stop` (the dialog
    closing) abandons a call still running instead of waiting for it.

    Parameters
    ----------
    name : str
        Name of the threads, for logs and debuggers.
    """

    #: ``(ticket, value)``: a call returned.
    done = Signal(int, object)
    #: ``(ticket, message)``: a call raised (the traceback is in the log).
    failed = Signal(int, str)

    def __init__(self, name: str) -> None:
        super().__init__()
        self._name = name
        self._ticket = 0
        self._bursts: list[_CallThread] = []

    def submit(self, call: Callable[[], object], what: str = "call") -> int:
        """Queue ``call`` (``what`` names it in messages) and return its ticket."""
        self._ticket += 1
        self._forget_finished()
        burst = self._bursts[-1] if self._bursts else None
        if burst is None or burst.calls.submit(call, what, self._ticket) is None:
            burst = _CallThread()
            burst.done.connect(self.done)
            burst.failed.connect(self.failed)
            burst.finished.connect(self._forget_finished)
            burst.calls.submit(call, what, self._ticket)
            self._bursts.append(burst)
            burst.start(self._name)
            _forget_ended_bursts()
            _RUNNING.add(burst)
        return self._ticket

    def stop(self) -> None:
        """Abandon the calls queued or running; no :attr:`done` comes after this."""
        for burst in self._bursts:
            burst.done.disconnect(self.done)
            burst.failed.disconnect(self.failed)
            burst.stop()
        self._bursts.clear()

    @Slot()
    def _forget_finished(self) -> None:
        # Only once its thread has ended: a QThread deleted while it runs aborts the app.
        self._bursts = [b for b in self._bursts if b.is_running()]
