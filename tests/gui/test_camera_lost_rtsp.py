"""An RTSP camera in the window: named, killed (Camera lost, no false history), back, named.

GStreamer's RTSP server on localhost (tests/core/stream_servers.py; skipped where it is not
installed) and the real model: the 5-celebrity val photos are the stream's frames.  The
back -> named figure is printed (``pytest -s``), never asserted: the waits are hang guards.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from faceapp.core.reconnect import LOST_TEXT
from faceapp.storage.history import History
from tests.core.stream_servers import RtspServer, rtsp_server_missing

from .gui_helpers import make_ctx
from .make_video import interleaved_photos, make_video
from .test_camera_lost import GUARD_MS, NAMES, Named, figure

PASSWORD = "S3cr3t-pw"


@pytest.fixture
def rtsp_server(tmp_path: Path, celebrity_dir: Path):
    """The RTSP server sending the five people, 8 s each at 10 fps (skipped where missing)."""
    reason = rtsp_server_missing()
    if reason:
        pytest.skip(reason)
    photos = interleaved_photos(celebrity_dir / "val", limit=5)
    clip = make_video(tmp_path / "people.avi", photos, seconds_per_photo=8.0, fps=10.0)
    server = RtspServer(clip).start()
    yield server
    server.stop()


@pytest.mark.model
def test_an_rtsp_camera_killed_and_back_is_named_again_without_false_history(
    qtbot, make_window, demo_store, real_pipeline, rtsp_server
) -> None:
    ctx = make_ctx(demo_store, real_pipeline)
    window = make_window(ctx, rtsp_server.url(auth=f"admin:{PASSWORD}@"))
    named = Named(ctx)
    try:
        qtbot.waitUntil(lambda: len(named.times) >= 3, timeout=GUARD_MS)

        killed_at = time.monotonic()
        rtsp_server.stop()  # the camera loses power
        qtbot.waitUntil(window.video_view.is_dimmed, timeout=GUARD_MS)
        lost_at, lost_wall = time.monotonic(), datetime.now(timezone.utc)
        figure("RTSP killed -> Camera lost shown (window)", lost_at - killed_at)
        assert window.video_view.dim_text() == LOST_TEXT
        assert window.source_banner.isVisible() and LOST_TEXT in window.source_banner.text()
        assert "camera lost" in window.chrome.status_fps.text().lower()
        attempts = []
        window.capture_worker.link_changed.connect(lambda *args: attempts.append(args))
        qtbot.waitUntil(lambda: len(attempts) >= 1, timeout=GUARD_MS)  # a failed retry
        assert window.video_view.is_dimmed()
        assert [t for t in named.all if t > lost_at] == []  # no result while it is away

        rtsp_server.start()  # back on the same port
        back_at, back_wall = time.monotonic(), datetime.now(timezone.utc)
        qtbot.waitUntil(lambda: bool(named.after(back_at)), timeout=GUARD_MS)
        figure("RTSP back -> next named face (window)", named.after(back_at)[0] - back_at)
        assert not window.video_view.is_dimmed() and not window.source_banner.isVisible()
    finally:
        window.shutdown()

    events = History(demo_store).events()
    assert events, "nothing was recorded before the camera went away"
    assert [e for e in events if lost_wall < e.at < back_wall] == []
    assert {e.name for e in events if e.name} <= NAMES
    assert all(PASSWORD not in e.source for e in events)
