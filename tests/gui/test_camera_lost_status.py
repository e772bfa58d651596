"""The status bar while a network camera is lost: no stale rates, latency or faces."""

from __future__ import annotations

import re

import cv2
import numpy as np

from tests.core.stream_servers import MjpegServer

from .gui_helpers import fake_pipeline, make_ctx

#: Hang guard of a wait, in milliseconds (never a measured goal).
GUARD_MS = 60_000
RATES = re.compile(r"shown (\d+\.\d) fps · processed (\d+\.\d) fps")


def jpeg_frames(n: int = 20) -> list[bytes]:
    """``n`` 320x240 frames, a grey that changes from one to the next, as JPEG."""
    out = []
    for i in range(n):
        image = np.full((240, 320, 3), 60 + 5 * i, np.uint8)
        cv2.circle(image, (160, 120), 60, (200, 180, 160), -1)
        out.append(cv2.imencode(".jpg", image)[1].tobytes())
    return out


def live_rates(window) -> tuple[float, float] | None:
    """Return the shown and processed rates the status bar shows, or None."""
    found = RATES.fullmatch(window.chrome.status_fps.text())
    return (float(found[1]), float(found[2])) if found else None


def has_figures(window) -> bool:
    """True when the rate, latency or faces field shows a number."""
    chrome = window.chrome
    fields = (chrome.status_fps, chrome.status_latency, chrome.status_faces)
    return any(re.search(r"\d", field.text()) for field in fields)


def test_the_status_bar_shows_no_stale_figures_while_the_camera_is_lost(
    qtbot, make_window, store
) -> None:
    server = MjpegServer(jpeg_frames(), fps=15.0, loop=True).start()
    window = make_window(make_ctx(store, fake_pipeline()), server.url())
    chrome = window.chrome
    try:
        # Live: both rates above zero, a latency and one face.
        qtbot.waitUntil(lambda: (live_rates(window) or (0, 0))[1] > 0, timeout=GUARD_MS)
        qtbot.waitUntil(lambda: chrome.status_faces.text() == "1 face", timeout=GUARD_MS)
        assert re.fullmatch(r"latency \d+ ms", chrome.status_latency.text())

        server.stop()  # the camera is switched off mid-stream
        qtbot.waitUntil(window.video_view.is_dimmed, timeout=GUARD_MS)
        assert "camera lost" in chrome.status_fps.text().lower()
        assert not has_figures(window), [
            chrome.status_fps.text(),
            chrome.status_latency.text(),
            chrome.status_faces.text(),
        ]
        # Still so after the status bar's timer and a failed attempt or two.
        attempts = []
        window.capture_worker.link_changed.connect(lambda *args: attempts.append(args))
        qtbot.waitUntil(lambda: len(attempts) >= 1, timeout=GUARD_MS)
        window._update_status()  # what the status timer does
        assert not has_figures(window)
        assert "camera lost" in chrome.status_fps.text().lower()

        server.start()  # back on the same port: live figures again
        qtbot.waitUntil(lambda: not window.video_view.is_dimmed(), timeout=GUARD_MS)
        qtbot.waitUntil(lambda: (live_rates(window) or (0, 0))[1] > 0, timeout=GUARD_MS)
        qtbot.waitUntil(lambda: chrome.status_faces.text() == "1 face", timeout=GUARD_MS)
        assert re.fullmatch(r"latency \d+ ms", chrome.status_latency.text())
    finally:
        window.shutdown()
        server.stop()
