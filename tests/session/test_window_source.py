"""session.window_source: the window's decisions about its source (no Qt)."""

from __future__ import annotations

import pytest

from faceapp.core.reconnect import LinkState, LinkStatus
from faceapp.core.sources import SourceError
from faceapp.session.window_source import (
    CHOOSE,
    PLAY_AGAIN,
    RETRY,
    USE_DEMO,
    SourceBanner,
    SourceState,
    camera_mode_for,
    lost_banner,
    open_spec,
)
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


BUTTONS = (RETRY, USE_DEMO, CHOOSE)


def test_no_card_for_a_camera_that_showed_frames_or_for_a_video() -> None:
    state = SourceState("0")
    assert state.first_frame() and not state.first_frame()
    assert not state.wants_card(lambda: True)
    assert not SourceState("clip.mp4").wants_card(lambda: True)
    banner = SourceState("clip.mp4").failed_banner("gone")
    assert banner == SourceBanner("error", "The video source clip.mp4 failed: gone", BUTTONS)


def test_the_banners_offer_what_makes_sense() -> None:
    assert SourceState("demo").failed_banner("x").buttons == (RETRY, CHOOSE)  # no "Use demo"
    ended = SourceState("walk.mp4").ended_banner()
    assert ended == SourceBanner("info", "walk.mp4 has ended.", (PLAY_AGAIN, CHOOSE))
    status = LinkStatus(LinkState.LOST, "cam", reason="timed out", attempts=1, retry_in_s=4)
    assert lost_banner(status).buttons == (CHOOSE,) and lost_banner(status).level == "warning"


def test_only_cameras_have_a_mode_and_an_unchosen_one_gets_720p() -> None:
    assert camera_mode_for("demo", Settings()) is None
    assert camera_mode_for("clip.mp4", Settings()) is None
    mode = camera_mode_for("7", Settings())
    assert mode is not None and (mode.width, mode.height, mode.fps) == (1280, 720, 30)


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


def test_open_spec_opens_a_named_source_and_passes_a_ready_one_on() -> None:
    demo = open_spec("demo", Settings())
    try:
        assert open_spec(demo, Settings()) is demo
    finally:
        demo.close()
    with pytest.raises(SourceError):
        open_spec("/no/such/clip.mp4", Settings())
