"""Make docs/screenshots/side-panel-1024.png: verification's side panel at 1024x700, long verdict.

Elton John is enrolled under a long name from three ``train`` photos, verification is
claimed for him with the head-turn check on, and a ``val`` photo of him is shown with
the real model: the verdict is the longest the panel shows ("Needs a camera or a
video" and why).  The panel must wrap it, keeping the mode buttons, the slider and
Reset in the window.  Run from the repository root with the venv's python:

    QT_QPA_PLATFORM=offscreen python docs/screenshots/make/long_verdict.py
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import cv2  # noqa: E402
from shots import enrol, real_gallery, show_photos, train_photos, val_photo  # noqa: E402

from faceapp.gui.context import AppContext  # noqa: E402
from faceapp.gui.main_window import MainWindow  # noqa: E402
from faceapp.settings import Settings  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "side-panel-1024.png"
#: A long name, as people have them.
NAME = "Sir Elton Hercules John-Furnish of Pinner and Windsor"
SIZE = (1024, 700)
log = logging.getLogger("long-verdict-screenshot")


def main() -> int:
    """Enrol one person, claim them, show their photo at 1024x700 and save the window."""
    with real_gallery("faceapp-long-verdict-shot-") as (work, pipeline, store):
        enrol(store, pipeline, NAME, train_photos("elton_john", 3))
        folder = work / "photos"
        folder.mkdir()
        cv2.imwrite(str(folder / "elton.png"), val_photo("elton_john", 1))
        settings = Settings(demo_offered=True, mode="verification", claim=NAME, liveness=True)
        ctx = AppContext(settings, store, pipeline)
        window = MainWindow(ctx, source=str(folder))
        show_photos(window, size=SIZE)
        window.grab().save(str(OUT))
        panel = window.mode_panel
        log.info("%s: %s | %s", OUT.name, panel.verdict_label.text(), panel.detail_label.text())
        log.info("window %s, mode panel %s", window.size().toTuple(), panel.geometry().getRect())
        window.shutdown()
        window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
