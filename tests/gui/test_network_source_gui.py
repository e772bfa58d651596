"""A network camera's password never reaches the window: title, labels, banners, log."""

from __future__ import annotations

import logging

from .gui_helpers import fake_pipeline, make_ctx

PASSWORD = "S3cr3t-pw"


def test_a_refused_network_camera_is_named_without_its_password(
    qtbot, make_window, store, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    window = make_window(make_ctx(store, fake_pipeline()), None)
    address = f"rtsp://admin:{PASSWORD}@127.0.0.1:9/stream"  # port 9: nobody listens
    window.open_source(address)
    opening = window.video_view.placeholder()  # "Opening …" while FFmpeg connects
    qtbot.waitUntil(window.source_banner.isVisible, timeout=15_000)
    shown = [
        opening,
        window.windowTitle(),
        window.chrome.source_title.text(),
        window.chrome.status_source.text(),
        window.source_banner.text(),
        caplog.text,
    ]
    assert "admin:***@127.0.0.1" in window.chrome.source_title.text()
    assert not [text for text in shown if PASSWORD in text], shown
