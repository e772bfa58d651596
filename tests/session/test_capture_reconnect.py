"""The capture loop keeps a live source through an outage: LOST, no frames, LIVE, frames again."""

from __future__ import annotations

import threading

import numpy as np

from faceapp.core.reconnect import LinkState
from faceapp.core.sources import Frame, SourceError
from faceapp.session.live import CaptureLoop

from .helpers import WAIT_S


class Flaky:
    """A live source whose opens and reads fail while ``up`` is cleared (logic only)."""

    name, fps, live = "flaky cam", 10.0, True

    def __init__(self) -> None:
        self.up = threading.Event()
        self.up.set()
        self.opens = 0

    def open(self) -> None:
        self.opens += 1
        if not self.up.is_set():
            raise SourceError("flaky cam: refused")

    def read(self) -> Frame:
        if not self.up.is_set():
            raise SourceError("flaky cam: the stream stopped")
        self.up.wait(0.01)
        return Frame(np.zeros((4, 4, 3), np.uint8), 0, 0.0)

    def close(self) -> None:
        pass


class Record:
    """What the loop's callbacks heard, in order, in one list."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.events: list[tuple[str, object]] = []

    def add(self, kind: str, value: object = None) -> None:
        with self.cond:
            self.events.append((kind, value))
            self.cond.notify_all()

    def wait_for(self, test) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: test(self.events), WAIT_S), self.events


def frames_after(events, kind_state) -> int:
    """Return the number of frames delivered after the last event matching ``kind_state``."""
    last = max(i for i, e in enumerate(events) if e == kind_state)
    return sum(1 for kind, _ in events[last:] if kind == "frame")


def test_a_lost_live_source_is_reconnected_and_no_frame_flows_in_the_gap() -> None:
    flaky, record = Flaky(), Record()
    loop = CaptureLoop(
        flaky,
        lambda frame: record.add("frame", frame.index),
        on_failed=lambda message: record.add("failed", message),
        on_link=lambda status: record.add("link", status.state),
    )
    loop.start_thread("test-capture")
    try:
        record.wait_for(lambda ev: sum(k == "frame" for k, _ in ev) >= 3)
        flaky.up.clear()
        record.wait_for(lambda ev: ("link", LinkState.LOST) in ev)
        # Attempts fail while it is down (each reported LOST); no frame comes meanwhile.
        record.wait_for(lambda ev: sum(e == ("link", LinkState.LOST) for e in ev) >= 2)
        assert frames_after(record.events, ("link", LinkState.LOST)) == 0
        flaky.up.set()
        record.wait_for(lambda ev: ("link", LinkState.LIVE) in ev)
        record.wait_for(lambda ev: frames_after(ev, ("link", LinkState.LIVE)) >= 3)
    finally:
        loop.stop()
    events = record.events
    first_lost = events.index(("link", LinkState.LOST))
    live = events.index(("link", LinkState.LIVE))
    assert all(kind == "link" for kind, _ in events[first_lost:live])  # nothing in the gap
    assert not [e for e in events if e[0] == "failed"]
    indices = [value for kind, value in events if kind == "frame"]
    assert indices == sorted(indices) and len(set(indices)) == len(indices)  # counted on


def test_a_source_lost_longer_than_the_limit_fails_with_one_line() -> None:
    flaky, record = Flaky(), Record()
    loop = CaptureLoop(
        flaky,
        lambda frame: record.add("frame", frame.index),
        on_failed=lambda message: record.add("failed", message),
        on_ended=lambda: record.add("ended"),
        give_up_s=0.5,
    )
    loop.start_thread("test-capture")
    try:
        record.wait_for(lambda ev: ("frame", 0) in ev)
        flaky.up.clear()
        record.wait_for(lambda ev: any(kind == "failed" for kind, _ in ev))
    finally:
        loop.stop()
    failed = [value for kind, value in record.events if kind == "failed"]
    assert len(failed) == 1 and not [e for e in record.events if e[0] == "ended"]
    assert str(failed[0]).startswith("flaky cam: lost for ") and "gave up" in str(failed[0])


def test_without_reconnecting_a_lost_live_source_fails_at_once() -> None:
    flaky, record = Flaky(), Record()
    loop = CaptureLoop(
        flaky,
        lambda frame: record.add("frame", frame.index),
        on_failed=lambda message: record.add("failed", message),
        reconnect=False,
    )
    loop.start_thread("test-capture")
    try:
        record.wait_for(lambda ev: ("frame", 0) in ev)
        flaky.up.clear()
        record.wait_for(lambda ev: any(kind == "failed" for kind, _ in ev))
    finally:
        loop.stop()
    assert [v for k, v in record.events if k == "failed"] == ["flaky cam: the stream stopped"]
