"""session.window_status: what the status bar and banners say of source and model (no Qt)."""

from __future__ import annotations

import pytest

from faceapp.core.reconnect import LinkState, LinkStatus
from faceapp.session import window_status as ws
from faceapp.session.meters import LiveMeters
from faceapp.settings import Settings


@pytest.mark.parametrize(
    ("running", "paused", "lost", "started", "picture", "state"),
    [
        (True, False, False, True, True, ""),
        (True, True, False, True, True, "paused"),
        (True, True, True, True, True, ws.LOST_STATE),  # lost wins over paused
        (False, False, False, True, True, "stopped"),
        (False, False, False, False, True, ""),  # not started yet
        (False, False, False, True, False, ""),  # the no-camera card
    ],
)
def test_the_source_state(
    running: bool, paused: bool, lost: bool, started: bool, picture: bool, state: str
) -> None:
    assert ws.source_state(running, paused, lost, started, picture) == state


def test_status_texts_show_figures_but_not_while_lost() -> None:
    texts = ws.status_texts("camera 0", "", 29.96, 12.04, 0.0, 1)
    assert texts == ws.StatusTexts(
        "Source: camera 0", "camera 0", "shown 30.0 fps · processed 12.0 fps", "latency –", "1 face"
    )
    assert ws.status_texts("c", "paused", 1, 1, 41.6, 2).latency == "latency 42 ms"
    lost = ws.status_texts("c", ws.LOST_STATE, 30, 30, 40, 2)
    assert (lost.source, lost.rates, lost.faces) == (
        "c (reconnecting)",
        "camera lost: no frames",
        "faces –",
    )


def test_sources_are_named_without_passwords() -> None:
    assert ws.source_name("rtsp://ann:secret@cam/stream").count("secret") == 0
    assert ws.is_camera(" 1 ") and not ws.is_camera("demo") and not ws.is_camera("a.mp4")


def test_banners() -> None:
    assert ws.pause_texts(True) == ("Resume", "Resume the video (Space)")
    assert "(bad weights)" in ws.model_failed_text("bad weights")
    status = LinkStatus(LinkState.LOST, "cam", "timed out", attempts=2, retry_in_s=4.2)
    assert ws.lost_text(status).endswith("(timed out; next try in 4 s)")
    assert ws.offline_text("Server away", 0) == "Server away"
    assert ws.offline_text("Server away", 3).endswith("3 history events wait to be written")


def test_an_opened_network_camera_is_offered_again() -> None:
    assert ws.opened_source_changes("0", Settings()) == {"source": "0"}
    changes = ws.opened_source_changes("rtsp://cam/stream", Settings())
    assert changes["source"] == "rtsp://cam/stream"
    assert "rtsp://cam/stream" in changes["recent_addresses"]


def test_the_source_and_enrolment_lines_name_what_they_are_about() -> None:
    assert ws.opening_text("Camera 0") == "Opening Camera 0…"
    assert ws.ended_text("walk.mp4") == "walk.mp4 has ended."
    assert ws.enrolling_text("Zoë") == "Enrolling Zoë…"
    assert ws.enrolled_text(["Ann", "Bob"]) == "Enrolled: Ann, Bob"


def test_the_offline_banner_shows_while_away_and_hides_only_its_own_text() -> None:
    link = ws.OfflineLink()
    assert link.change() is None  # online from the start: the banner is left alone
    link.message, link.held = "Server away", 2
    assert link.change() == ws.offline_text("Server away", 2)
    link.message = None
    assert link.change() == ""  # back: hide the offline text
    assert link.change() is None  # once


def test_meter_texts_and_the_session_summary_read_the_live_meters() -> None:
    meters = LiveMeters()
    for t in (0.0, 0.5, 1.0):
        meters.shown.tick(t)
    meters.latency_ms, meters.faces = 42.4, 2
    texts = ws.meter_texts("grey", "paused", meters)
    assert (texts.source, texts.latency, texts.faces) == (
        "grey (paused)",
        "latency 42 ms",
        "2 faces",
    )
    summary = ws.session_summary(12.34, meters)
    assert summary.startswith("session: 12.3 s; frames shown 3 (")
    assert summary.endswith("frames processed 0 (0.0/s)")
