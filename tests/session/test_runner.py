"""Runner and OperationQueue: a defined stop from any thread, queued writes never lost."""

from __future__ import annotations

import threading
import time

import pytest

from faceapp.session.runner import OperationQueue, Runner


class Counting(Runner):
    """Counts passes, sleeping ``pause`` seconds between them."""

    def __init__(self, pause: float = 0.01) -> None:
        super().__init__()
        self.passes = 0
        self.pause = pause

    def loop(self) -> None:
        while not self.stopping():
            self.passes += 1
            self.sleep(self.pause)


class Serving(OperationQueue):
    """Serves its queue until stopped."""

    def loop(self) -> None:
        while not self.stopping():
            op = self.next_operation(None)
            if op is not None:
                op()


def test_a_runner_in_its_own_thread_stops_within_one_pass() -> None:
    runner = Counting(pause=30.0)  # a long sleep: stop must wake it
    thread = runner.start_thread("counting")
    while runner.passes == 0:
        time.sleep(0.001)
    runner.stop()
    assert not thread.is_alive() and runner.finished() and runner.passes == 1


def test_stop_from_another_thread_waits_for_a_loop_run_elsewhere() -> None:
    runner = Counting()
    thread = threading.Thread(target=runner.run)  # as a QThread would run it
    thread.start()
    while runner.passes == 0:
        time.sleep(0.001)
    runner.stop()
    assert runner.finished()  # stop() returned only once run() had
    thread.join(5)


def test_a_runner_stopped_before_it_runs_returns_at_once_and_runs_once() -> None:
    runner = Counting()
    runner.stop()
    runner.run()  # in the calling thread, as the command line drives it
    assert runner.passes == 0 and runner.finished()
    with pytest.raises(RuntimeError):
        runner.run()


def test_a_failing_loop_is_logged_not_raised(caplog) -> None:
    class Broken(Runner):
        def loop(self) -> None:
            raise ValueError("a bug")

    broken = Broken()
    broken.run()
    assert broken.finished() and "Broken failed" in caplog.text


def test_stop_from_inside_the_loop_does_not_wait_for_itself() -> None:
    class SelfStopping(Runner):
        def loop(self) -> None:
            self.stop()

    runner = SelfStopping()
    runner.start_thread("self-stopping").join(5)
    assert runner.finished()


def test_detached_work_is_abandoned_on_stop_and_its_errors_reach_the_loop() -> None:
    runner = Counting()
    release = threading.Event()
    got: list[object] = []
    thread = threading.Thread(target=lambda: got.append(runner.detached(release.wait, "slow")))
    thread.start()
    time.sleep(0.05)
    runner.stop()
    thread.join(5)
    release.set()
    assert got == [None]
    with pytest.raises(ZeroDivisionError):
        Counting().detached(lambda: 1 / 0, "failing")
    assert Counting().detached(lambda: 42, "answer") == 42


def test_queued_operations_run_in_order_in_the_queue_thread() -> None:
    queue = Serving()
    queue.start_thread("queue")
    seen: list[tuple[int, str]] = []
    done = threading.Event()
    for k in range(5):
        queue.enqueue(False, lambda k=k: seen.append((k, threading.current_thread().name)))
    queue.enqueue(False, done.set)
    assert done.wait(5)
    queue.stop()
    assert seen == [(k, "queue") for k in range(5)]


def test_writes_outlive_a_stop_and_reads_do_not() -> None:
    queue = Serving()
    busy, release = threading.Event(), threading.Event()
    queue.enqueue(True, lambda: (busy.set(), release.wait(5)))  # in progress at the stop
    ran: list[str] = []
    queue.enqueue(True, lambda: ran.append("queued write"))
    queue.enqueue(False, lambda: ran.append("queued read"))
    queue.start_thread("queue")
    assert busy.wait(5)
    stopper = threading.Thread(target=queue.stop)
    stopper.start()
    time.sleep(0.05)
    assert ran == []  # the write waits for the operation in progress
    release.set()
    stopper.join(5)
    assert ran == ["queued write"]
    queue.enqueue(True, lambda: ran.append("late write"))  # after the stop: done at once
    queue.enqueue(False, lambda: ran.append("late read"))
    assert ran == ["queued write", "late write"] and queue.pending() == 0


def test_a_call_queue_reports_values_and_errors_with_their_tickets_in_order() -> None:
    from faceapp.session.runner import CallQueue

    got: list[tuple[str, int, object]] = []
    finished = threading.Event()

    def done(ticket: int, value: object) -> None:
        got.append(("done", ticket, value))
        if ticket == 3:
            finished.set()

    queue = CallQueue(done, lambda ticket, message: got.append(("failed", ticket, message)))
    queue.start_thread("calls")
    tickets = [
        queue.submit(lambda: threading.current_thread().name != "MainThread"),
        queue.submit(lambda: 1 / 0, "dividing"),
        queue.submit(lambda: "third"),
    ]
    assert tickets == [1, 2, 3] and finished.wait(5)
    queue.stop()
    assert got == [
        ("done", 1, True),  # off the caller's thread
        ("failed", 2, "dividing failed: division by zero"),
        ("done", 3, "third"),
    ]


def test_closing_during_a_long_call_does_not_wait_for_it_and_drops_its_value() -> None:
    from faceapp.session.runner import CallQueue

    got: list[object] = []
    queue = CallQueue(lambda t, v: got.append(v), lambda t, m: got.append(m))
    queue.start_thread("calls")
    release, started = threading.Event(), threading.Event()
    queue.submit(lambda: (started.set(), release.wait(10), "late")[2], "probing cameras")
    assert started.wait(5)
    t0 = time.monotonic()
    queue.stop()
    waited = time.monotonic() - t0
    release.set()
    time.sleep(0.1)
    assert got == [] and waited < 5  # a hang guard, not a speed figure


def test_an_idle_call_queue_ends_its_loop_and_refuses_more_calls() -> None:
    from faceapp.session.runner import CallQueue

    got: list[object] = []
    queue = CallQueue(lambda t, v: got.append(v), lambda t, m: got.append(m), idle_exit=True)
    assert queue.submit(lambda: "first", ticket=7) == 7
    thread = queue.start_thread("calls")
    thread.join(5)  # nothing left to do: the loop ended by itself
    assert not thread.is_alive() and got == ["first"]
    assert queue.submit(lambda: "second") is None  # the caller starts a new queue
