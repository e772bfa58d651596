"""session.window_calibration: the calibration report of the newest request (no Qt)."""

from __future__ import annotations

import queue
import threading

import numpy as np

from faceapp.core.calibration import CalibrationReport
from faceapp.core.matching import GalleryIndex
from faceapp.session import window_calibration
from faceapp.session.window_calibration import CalibrationLoop


def _index() -> GalleryIndex:
    rows = np.eye(4, 128, dtype=np.float32)
    return GalleryIndex.from_samples([(1, "Ann", rows[0]), (1, "Ann", rows[1]), (2, "Bo", rows[2])])


def test_a_report_of_a_real_snapshot_arrives_with_its_ticket() -> None:
    got: queue.Queue = queue.Queue()
    loop = CalibrationLoop(lambda t, r: got.put((t, r)), lambda t, m: got.put((t, m)))
    loop.start_thread("test-calibration")
    try:
        ticket = loop.request(_index(), {"recognition": 1.0})
        answer, report = got.get(timeout=30)
    finally:
        loop.stop()
    assert answer == ticket
    assert isinstance(report, CalibrationReport)


def test_only_the_newest_waiting_request_is_computed_and_a_failure_is_one_sentence(
    monkeypatch,
) -> None:
    release, asked = threading.Event(), []

    def report(index, thresholds):
        asked.append(thresholds["recognition"])
        release.wait(30)
        if thresholds["recognition"] == 3.0:
            raise ValueError("damaged snapshot")
        return "report"

    monkeypatch.setattr(window_calibration, "calibration_report", report)
    got: queue.Queue = queue.Queue()
    loop = CalibrationLoop(
        lambda t, r: got.put(("ready", t, r)), lambda t, m: got.put(("failed", t, m))
    )
    first = loop.request(_index(), {"recognition": 1.0})
    loop.request(_index(), {"recognition": 2.0})  # replaced before the loop runs
    loop.start_thread("test-calibration")
    try:
        release.set()
        assert got.get(timeout=30) == ("ready", first + 1, "report")
        third = loop.request(_index(), {"recognition": 3.0})
        kind, ticket, message = got.get(timeout=30)
    finally:
        loop.stop()
    assert asked == [2.0, 3.0]
    assert (kind, ticket) == ("failed", third)
    assert message == "The distances could not be computed: damaged snapshot"
