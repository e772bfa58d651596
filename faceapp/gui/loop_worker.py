"""LoopWorker: the base of the GUI's workers, a loop in its own QThread with a defined stop."""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

log = logging.getLogger(__name__)

_T = TypeVar("_T")

#: Seconds between looks at the stop flag while a detached call runs.
_DETACHED_POLL_S = 0.05


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

    def _detached(self, call: Callable[[], _T], name: str) -> _T | None:
        """Run ``call`` in a daemon helper thread ``name``; return its value, None if stopped.

        For work that takes seconds and cannot be interrupted (reading 100,000 people,
        comparing every pair of samples): the worker waits for the call *or* for
        :meth:`stop`, so a stop (closing the window) never waits for it; an abandoned
        call ends on its own and its value is dropped.  An exception of ``call`` is
        raised here, in the worker thread.
        """
        done = threading.Event()
        box: list[tuple[bool, object]] = []

        def run() -> None:
            try:
                box.append((True, call()))
            except BaseException as exc:  # handed to the worker thread, raised there
                box.append((False, exc))
            finally:
                done.set()

        threading.Thread(target=run, name=name, daemon=True).start()
        while not done.wait(_DETACHED_POLL_S):
            if self.stopping():
                return None
        ok, value = box[0]
        if not ok:
            assert isinstance(value, BaseException)
            raise value
        return value  # type: ignore[return-value]

    def _sleep(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; return True when woken by :meth:`stop`."""
        return self._stop.wait(max(0.0, seconds))

    def _wake(self) -> None:
        """Interrupt a sleeping loop (subclasses with their own waits extend this)."""


#: A queued operation: run in the worker thread, it reports through the worker's signals.
Operation = Callable[[], None]


class OperationQueueWorker(LoopWorker):
    """A :class:`LoopWorker` that serves a queue of operations; queued writes outlive a stop.

    Subclasses queue reads and writes with :meth:`_enqueue`, wait on ``_cond`` in their
    loop, pop ``_ops`` in order, and on :meth:`stopping` take the writes with
    :meth:`_take_writes` and carry them out after the loop.  A write requested after the
    stop (the thread has ended) is carried out in the caller's thread rather than lost,
    e.g. an enrolment that finished while the window was closing; reads are dropped.
    """

    def __init__(self) -> None:
        super().__init__()
        self._cond = threading.Condition()
        self._ops: deque[tuple[bool, Operation]] = deque()  # (is a write, operation)

    def _enqueue(self, write: bool, op: Operation) -> None:
        """Queue ``op`` for the worker thread (any thread)."""
        with self._cond:
            if not self.stopping():
                self._ops.append((write, op))
                self._cond.notify_all()
                return
        if write:
            op()

    def _take_writes(self) -> list[Operation]:
        """Empty the queue and return its writes, in order (call with ``_cond`` held)."""
        writes = [op for is_write, op in self._ops if is_write]
        self._ops.clear()
        return writes

    def stop(self) -> None:
        """Stop the thread after the operation it is busy with, then the queued writes."""
        super().stop()
        with self._cond:
            writes = self._take_writes()
        for op in writes:
            op()

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()
