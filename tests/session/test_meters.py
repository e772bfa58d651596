"""The live meters: rates over a sliding window, and a fresh start after a gap."""

from __future__ import annotations

import pytest

from faceapp.session.meters import LiveMeters, RateMeter


def test_rate_counts_the_events_in_the_window() -> None:
    meter = RateMeter(window_s=2.0)
    for i in range(11):
        meter.tick(now=10.0 + i * 0.1)
    assert meter.rate(now=11.0) == pytest.approx(10.0)
    assert meter.rate(now=20.0) == 0.0


def test_after_a_gap_the_rate_counts_only_the_frames_that_follow() -> None:
    # 20 fps before the camera was lost, then it comes back at 5 fps: the figure shown
    # just after must be 5, not a blend with the frames from before the gap.
    meters = LiveMeters()
    for i in range(40):
        meters.shown.tick(now=100.0 + i * 0.05)
    meters.new_source()
    meters.shown.tick(now=102.2)
    meters.shown.tick(now=102.4)
    meters.shown.tick(now=102.6)
    assert meters.shown.rate(now=102.6) == pytest.approx(5.0)
    assert meters.shown.count == 43


def test_a_new_source_forgets_latency_and_faces() -> None:
    meters = LiveMeters()
    meters.latency_ms, meters.faces = 40.0, 2
    meters.new_source()
    assert (meters.latency_ms, meters.faces) == (0.0, 0)
