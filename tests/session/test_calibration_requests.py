"""The calibration dialog's request bookkeeping without Qt (session/calibration_requests.py)."""

from __future__ import annotations

from faceapp.session.calibration_requests import CalibrationRequests


def test_only_the_last_request_is_answered_and_new_thresholds_ask_again() -> None:
    requests = CalibrationRequests()
    asked = {"recognition": 0.9, "verification": 0.7}
    assert requests.outdated(asked)  # nothing asked yet
    requests.sent(1, asked)
    requests.sent(2, asked)
    assert requests.is_last(2) and not requests.is_last(1)
    assert not requests.outdated(dict(asked))
    assert requests.outdated({**asked, "verification": 0.65})


def test_a_dialog_stops_its_worker_once() -> None:
    requests = CalibrationRequests()
    assert not requests.stopped
    assert requests.stop() and not requests.stop()
    assert requests.stopped
