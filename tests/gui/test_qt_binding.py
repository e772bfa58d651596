"""The Qt binding itself: faults in it that faceapp's own code cannot work around."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    flag = Signal(bool)
    opened = Signal(int, str, float, bool)


def test_emitting_bools_keeps_their_reference_counts(qapp) -> None:
    # PySide6 6.12.0 lost one reference to True per emission of a bool argument; the
    # GUI emits such signals every frame, and the process aborted on exit
    # ("bool_dealloc: deallocating True or False").
    emitter = _Emitter()
    received: list[object] = []
    emitter.flag.connect(received.append)
    emitter.opened.connect(lambda *args: received.append(args))
    before = sys.getrefcount(True), sys.getrefcount(False)
    for _ in range(500):
        emitter.flag.emit(True)
        emitter.flag.emit(False)
        emitter.opened.emit(0, "camera", 30.0, True)
    received.clear()
    after = sys.getrefcount(True), sys.getrefcount(False)
    # The fault lost one reference per emission: 1,000 for True here.  Threads that other
    # tests left winding down move the process-wide counts by a few meanwhile.
    assert abs(after[0] - before[0]) < 50 and abs(after[1] - before[1]) < 50, (before, after)
