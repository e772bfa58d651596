"""Make docs/screenshots/network-camera.png and camera-lost.png: a real localhost MJPEG stream.

Run from the repository root (offscreen):

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/make/network_camera.py

Serves val photos of the 5-celebrity set as an HTTP MJPEG stream on 127.0.0.1 (the
tests' server, tests/core/stream_servers.py) at an address with a password, enrols the
five demo people in a temporary gallery, and shows the stream in the window with the
real model: the first shot once faces are named, the second after the server is
stopped (*Camera lost — reconnecting…* over the dimmed last frame).  It then checks that
the password appears in no text the window shows.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[3]
SHOTS = ROOT / "docs" / "screenshots"
PASSWORD = "S3cr3t-pw"


def frames() -> list[bytes]:
    """Elton John beside Madonna, then Jerry Seinfeld beside Mindy Kaling, 1280x720 JPEG."""
    import cv2
    import numpy as np
    from shots import val_photo

    from faceapp.core.sources import letterbox

    out = []
    for left, right in (("elton_john", "madonna"), ("jerry_seinfeld", "mindy_kaling")):
        pair = np.hstack([letterbox(val_photo(p, 1), (640, 720)) for p in (left, right)])
        out += [cv2.imencode(".jpg", pair, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()] * 60
    return out


def settle(app, seconds: float = 0.6) -> None:
    """Let Qt paint for ``seconds``."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def main() -> int:
    """Make both screenshots; return 0."""
    sys.path.insert(0, str(ROOT))
    from PySide6.QtWidgets import QApplication, QLabel
    from shots import enrol, real_gallery, wait_until

    from faceapp.bulk_enrolment import demo_people
    from faceapp.gui.context import AppContext
    from faceapp.gui.main_window import MainWindow
    from faceapp.settings import Settings
    from tests.core.stream_servers import MjpegServer

    with real_gallery("faceapp-network-shot-") as (_work, pipeline, store):
        app = QApplication.instance()
        for name, photo in demo_people():
            enrol(store, pipeline, name, [photo])
        server = MjpegServer(frames(), fps=10.0, loop=True).start()
        address = server.url(auth=f"admin:{PASSWORD}@")
        ctx = AppContext(Settings(demo_offered=True), store, pipeline)
        window = MainWindow(ctx, source=address)
        window.resize(1240, 800)
        window.show()
        window.start()
        named = lambda: sum(fr.known for fr in (ctx.current_result() or [None]).faces) >= 2  # noqa: E731
        wait_until(lambda: ctx.current_result() is not None and named(), 300)
        settle(app)
        window.grab().save(str(SHOTS / "network-camera.png"))
        texts = [window.windowTitle(), *(w.text() for w in window.findChildren(QLabel))]

        server.stop()
        wait_until(window.video_view.is_dimmed, 60)
        wait_until(lambda: "next try" in window.source_banner.text(), 60)
        settle(app)
        window.grab().save(str(SHOTS / "camera-lost.png"))
        texts += [window.windowTitle(), *(w.text() for w in window.findChildren(QLabel))]
        texts.append(window.video_view.dim_text())
        window.shutdown()
        leaks = [t for t in texts if PASSWORD in t]
        print(f"network-camera.png, camera-lost.png; {len(texts)} texts, password in {len(leaks)}")  # noqa: T201
        return 1 if leaks else 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    sys.exit(main())
