"""Screenshots of the main window: recognition.png and verification.png (real model, real photos).

Four of the five demo people are enrolled from one ``train`` photo each; the recognition
shot shows a ``val`` photo of Elton John beside one of Madonna, who is not enrolled; the
verification shot asks "is this Mindy Kaling?" of a ``val`` photo of her (head-turn check
off: a photo cannot turn its head).  Run with the venv's python, offscreen.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import cv2  # noqa: E402
from shots import enrol, show_photos, val_photo, write_pair  # noqa: E402

from faceapp import paths  # noqa: E402
from faceapp.core.pipeline import FacePipeline  # noqa: E402
from faceapp.core.sources import letterbox  # noqa: E402
from faceapp.gui.app import create_application  # noqa: E402
from faceapp.gui.context import AppContext  # noqa: E402
from faceapp.gui.main_window import MainWindow  # noqa: E402
from faceapp.settings import Settings  # noqa: E402
from faceapp.storage.gallery import GalleryStore  # noqa: E402

OUT = Path(__file__).resolve().parents[1]
ENROLLED = ("ben_afflek", "elton_john", "jerry_seinfeld", "mindy_kaling")
log = logging.getLogger("window-screenshots")


def _shoot(pipeline: FacePipeline, store: GalleryStore, picture: Path, png: Path, **settings):
    """Show ``picture`` in the window until it is processed, then save the window."""
    ctx = AppContext(Settings(demo_offered=True, **settings), store, pipeline)
    window = MainWindow(ctx, source=str(picture))
    show_photos(window)
    window.grab().save(str(png))
    log.info("%s: %s", png.name, window.mode_panel.in_view_label.text())
    window.shutdown()
    window.close()


def main() -> int:
    """Enrol four people, save the recognition and the verification screenshots."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    create_application()
    work = Path(tempfile.mkdtemp(prefix="faceapp-window-shot-"))
    try:
        pipeline = FacePipeline()
        pipeline.prepare()
        store = GalleryStore(work / "gallery.sqlite3")
        for person in ENROLLED:
            photo = sorted((paths.celebrity_dir() / "train" / person).glob("*.jpg"))[0]
            enrol(store, pipeline, person.replace("_", " ").title(), [photo])
        pair = write_pair(work / "pair.png")
        cv2.imwrite(str(work / "mindy.png"), letterbox(val_photo("mindy_kaling", 0), (800, 600)))
        _shoot(pipeline, store, pair, OUT / "recognition.png")
        _shoot(
            pipeline,
            store,
            work / "mindy.png",
            OUT / "verification.png",
            mode="verification",
            claim="Mindy Kaling",
            liveness=False,
        )
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
