"""Runner: a loop any thread drives, with a defined stop; OperationQueue: queued work."""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import TypeVar

log = logging.getLogger(__name__)

_T = TypeVar("_T")

#: Seconds between looks at the stop flag while a detached call runs.
DETACHED_POLL_S = 0.05
#: Seconds :meth:`Runner.stop` waits for a thread it started before giving up on it.
STOP_WAIT_S = 60.0


def ignore(*_args: object) -> None:
    """Do nothing: the default of the session's optional callbacks."""


class Runner:
    """A loop with a defined stop, driven by whatever thread calls :meth:`run`.

    The window runs it in a ``QThread`` (:class:`faceapp.gui.loop_worker.LoopWorker`),
    the command line and the benchmarks in a plain thread (:meth:`start_thread`) or in
    the calling thread.  Subclasses implement :meth:`loop`, call :meth:`stopping` on each
    pass and wait only with :meth:`sleep` (or a wait that :meth:`wake` interrupts), so
    that a stop never waits for more than one pass.

    Thread rules: :meth:`stop`, :meth:`stopping` and :meth:`wake` may be called from any
    thread; :meth:`run` from one thread, once.  What a runner hands to other threads
    (through the callbacks its subclasses take) is immutable.
    """

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._runs_in: int | None = None  # ident of the thread in run()
        self._done = threading.Event()

    def run(self) -> None:
        """Run the loop in the calling thread until it ends or is stopped; never raises.

        A bug in the loop is logged, not raised: it must not take a worker thread (or
        the app) down.
        """
        if self._runs_in is not None:
            raise RuntimeError("a runner runs once")
        self._runs_in = threading.get_ident()
        try:
            self.loop()
        except Exception:
            log.exception("%s failed", self.label())
        finally:
            self._done.set()

    def loop(self) -> None:
        """Do the work; subclasses implement it and return once :meth:`stopping` is True."""
        raise NotImplementedError

    def label(self) -> str:
        """Return the name the log gives this loop (its class name)."""
        return type(self).__name__

    def start_thread(self, name: str) -> threading.Thread:
        """Run :meth:`run` in a new daemon thread called ``name`` and return the thread."""
        if self._thread is not None:
            raise RuntimeError("a runner can be started once")
        thread = threading.Thread(target=self.run, name=name, daemon=True)
        self._thread = thread
        thread.start()
        return thread

    def stop(self) -> None:
        """Ask the loop to end and wait until :meth:`run` has returned, if it had begun.

        Blocks for at most one pass of the loop.  Safe to call several times, before
        the loop runs (it then returns at once when run) and from the loop's own thread
        (there it only sets the flag).
        """
        self._stop.set()
        self.wake()
        own, runs_in = self._thread, self._runs_in
        if threading.get_ident() in (runs_in, own.ident if own else None):
            return
        if own is not None:
            own.join(STOP_WAIT_S)
        elif runs_in is not None:
            self._done.wait(STOP_WAIT_S)
        if (own is not None or runs_in is not None) and not self._done.is_set():
            log.error("%s did not stop within %.0f s", self.label(), STOP_WAIT_S)

    def stopping(self) -> bool:
        """Return True once :meth:`stop` was called; the loop checks it on each pass."""
        return self._stop.is_set()

    def finished(self) -> bool:
        """Return True once :meth:`run` has returned."""
        return self._done.is_set()

    def sleep(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; return True when woken by :meth:`stop`."""
        return self._stop.wait(max(0.0, seconds))

    def wake(self) -> None:
        """Interrupt a waiting loop; subclasses with waits of their own extend it."""

    def detached(
        self, call: Callable[[], _T], name: str, abandon: Callable[[], bool] | None = None
    ) -> _T | None:
        """Run ``call`` in a daemon helper thread ``name``; return its value, None if stopped.

        For work that takes seconds and cannot be interrupted (reading 100,000 people,
        comparing every pair of samples): the loop waits for the call *or* for
        :meth:`stop` (or ``abandon()`` turning True, looked at every
        :data:`DETACHED_POLL_S` seconds), so a stop never waits for it; an abandoned
        call ends on its own and its value is dropped.  An exception of ``call`` is
        raised here, in the loop's thread.
        """
        done = threading.Event()
        box: list[tuple[bool, object]] = []

        def run() -> None:
            try:
                box.append((True, call()))
            except BaseException as exc:  # handed to the loop's thread, raised there
                box.append((False, exc))
            finally:
                done.set()

        threading.Thread(target=run, name=name, daemon=True).start()
        while not done.wait(DETACHED_POLL_S):
            if self.stopping() or (abandon is not None and abandon()):
                return None
        ok, value = box[0]
        if not ok:
            assert isinstance(value, BaseException)
            raise value
        return value  # type: ignore[return-value]


#: A queued operation: run in the queue's thread, it reports through the queue's callbacks.
Operation = Callable[[], None]


class OperationQueue(Runner):
    """A :class:`Runner` serving a queue of operations in order; queued writes outlive a stop.

    Subclasses queue reads and writes with :meth:`enqueue` and serve them with
    :meth:`next_operation` in their loop.  On :meth:`stop` the writes still queued are
    carried out, after the operation in progress, in the stopping thread; a write
    requested after the stop is carried out at once in the caller's thread rather than
    lost (an enrolment that finished while the window was closing).  Reads are dropped.
    """

    def __init__(self) -> None:
        super().__init__()
        self._cond = threading.Condition()
        self._ops: deque[tuple[bool, Operation]] = deque()  # (is a write, operation)

    def enqueue(self, write: bool, op: Operation) -> None:
        """Queue ``op`` (any thread); ``write`` marks work that must not be lost."""
        with self._cond:
            if not self.stopping():
                self._ops.append((write, op))
                self._cond.notify_all()
                return
        if write:
            op()

    def next_operation(self, timeout: float | None) -> Operation | None:
        """Wait up to ``timeout`` seconds (None: until woken) for the next operation.

        Returns None on a time-out, a :meth:`wake` or a stop.
        """
        with self._cond:
            if not self._ops and not self.stopping():
                self._cond.wait(timeout)
            if self.stopping() or not self._ops:
                return None
            return self._ops.popleft()[1]

    def _take_writes(self) -> list[Operation]:
        """Empty the queue and return its writes, in order (call with ``_cond`` held)."""
        writes = [op for is_write, op in self._ops if is_write]
        self._ops.clear()
        return writes

    def pending(self) -> int:
        """Return how many operations wait in the queue."""
        with self._cond:
            return len(self._ops)

    def stop(self) -> None:
        """Stop the loop after the operation it is busy with, then run the queued writes."""
        super().stop()
        with self._cond:
            writes = self._take_writes()
        for op in writes:
            op()

    def wake(self) -> None:
        """Interrupt :meth:`next_operation`."""
        with self._cond:
            self._cond.notify_all()


class CallQueue(OperationQueue):
    """Runs submitted calls one after the other; reports each value or error with its ticket.

    For short jobs of a dialog (checking a face's quality, listing the cameras) that
    must not run on the GUI thread.  Each call runs :meth:`~Runner.detached`, so a stop
    (the dialog closing) never waits for one; the value of a call abandoned that way
    is dropped.  With ``idle_exit`` the loop ends as soon as the queue is empty, and
    :meth:`submit` then refuses new calls (returns None): the caller starts a new
    queue, so no thread waits idle between jobs.

    Parameters
    ----------
    done : callable
        ``done(ticket, value)``, from the queue's thread, when a call returned.
    failed : callable
        ``failed(ticket, message)``, from the queue's thread, when a call raised: the
        message is one sentence, the traceback goes to the log.
    idle_exit : bool
        End the loop when nothing is left to do.
    """

    def __init__(
        self,
        done: Callable[[int, object], None],
        failed: Callable[[int, str], None],
        idle_exit: bool = False,
    ) -> None:
        super().__init__()
        self._done_cb, self._failed_cb = done, failed
        self._idle_exit = idle_exit
        self._closed = False
        self._tickets = 0

    def submit(
        self, call: Callable[[], object], name: str = "call", ticket: int | None = None
    ) -> int | None:
        """Queue ``call`` (any thread); return its ticket, or None once the loop has ended.

        Tickets are 1, 2, 3… in order unless the caller gives its own ``ticket``.
        """
        with self._cond:
            if self._closed or self.stopping():
                return None
            if ticket is None:
                self._tickets += 1
                ticket = self._tickets
            self._ops.append((False, partial(self._run, ticket, call, name)))
            self._cond.notify_all()
            return ticket

    def loop(self) -> None:
        """Serve the queue until stopped (or, with ``idle_exit``, until it is empty)."""
        while not self.stopping():
            with self._cond:
                if self._idle_exit and not self._ops:
                    self._closed = True
                    return
            op = self.next_operation(None)
            if op is not None:
                op()

    def _run(self, ticket: int, call: Callable[[], object], name: str) -> None:
        try:
            value = self.detached(call, name)
        except Exception as exc:
            log.exception("%s failed", name)
            if not self.stopping():
                self._failed_cb(ticket, f"{name} failed: {exc}")
            return
        if not self.stopping():
            self._done_cb(ticket, value)
