"""session.window_source: the window's decisions about its source (no Qt)."""

from __future__ import annotations

from faceapp.core.reconnect import LinkState, LinkStatus
from faceapp.session.window_source import SourceState
from faceapp.session.window_status import NO_SOURCE
from faceapp.settings import Settings


def test_a_camera_without_frames_shows_the_card_once_then_banners() -> None:
    state = SourceState("0")
    asked: list[bool] = []

    def retry() -> bool:
        asked.append(True)
        return False

    assert state.wants_card(retry) and state.label == NO_SOURCE and asked == []
    state.open("0", persist=False)
    assert not state.wants_card(retry) and asked == [True]  # not the card's own retry
    assert state.wants_card(lambda: True)  # the card's Retry failed again


def test_no_card_for_a_camera_that_showed_frames_or_for_a_video() -> None:
    state = SourceState("0")
    assert state.first_frame() and not state.first_frame()
    assert not state.wants_card(lambda: True)
    assert not SourceState("clip.mp4").wants_card(lambda: True)
    assert SourceState("clip.mp4").failed_text("gone") == "The video source clip.mp4 failed: gone"


def test_only_a_string_spec_asked_to_persist_is_remembered_with_its_address() -> None:
    state = SourceState("demo")
    assert state.opened("demo", Settings()) == {}
    state.open("rtsp://ann:pw@cam/s", persist=True)
    assert "pw" not in state.label
    changes = state.opened("cam", Settings())
    assert changes["source"] == "rtsp://ann:pw@cam/s" and state.label == "cam"
    assert "rtsp://ann:pw@cam/s" in changes["recent_addresses"]


def test_a_lost_link_is_lost_once_then_back() -> None:
    state = SourceState("rtsp://cam/s")
    lost = LinkStatus(LinkState.LOST, "cam", "timeout")
    live = LinkStatus(LinkState.LIVE, "cam", lost_for_s=3.0)
    assert state.link_changed(live) == ""
    assert state.link_changed(lost) == "lost" and state.lost
    assert state.link_changed(lost) == "still lost"
    assert state.link_changed(live) == "back" and not state.lost
    state.link_changed(lost)
    state.open("rtsp://cam/s", persist=False)
    assert not state.lost  # a new opening starts afresh
