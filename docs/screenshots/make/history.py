"""Make docs/screenshots/history.png: the History dialog after a real run over real photos.

Run from the repository root (offscreen):

    QT_QPA_PLATFORM=offscreen python docs/screenshots/make/history.py

Enrols the five demo people (one train photo each) in a temporary gallery, shows a
folder of their val photos in the window with the real model, then opens
Gallery > History… and saves it.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[3]
OUT = ROOT / "docs" / "screenshots" / "history.png"
#: Val photos shown, per person folder (a few each, so names repeat and crops differ).
PHOTOS_PER_PERSON = 2


def main() -> int:
    """Make the screenshot; return 0."""
    import cv2
    from shots import enrol, wait_until

    from faceapp import paths
    from faceapp.bulk_enrolment import demo_people
    from faceapp.core.images import load_image
    from faceapp.core.pipeline import FacePipeline
    from faceapp.core.sources import ImageFolderSource, letterbox
    from faceapp.gui.app import create_application
    from faceapp.gui.context import AppContext
    from faceapp.gui.dialogs.history_dialog import HistoryDialog
    from faceapp.gui.main_window import MainWindow
    from faceapp.settings import Settings
    from faceapp.storage.gallery import GalleryStore

    app = create_application()
    pipeline = FacePipeline()
    pipeline.prepare()
    tmp = Path(tempfile.mkdtemp(prefix="faceapp-history-shot-"))
    store = GalleryStore(tmp / "gallery.sqlite3")
    for name, photo in demo_people():
        enrol(store, pipeline, name, [photo])

    folder = tmp / "front-door"
    folder.mkdir()
    val = paths.celebrity_dir() / "val"
    photos = [
        p
        for person in sorted(val.iterdir())
        for p in sorted(person.glob("*.jpg"))[:PHOTOS_PER_PERSON]
    ]
    for i, p in enumerate(photos):
        cv2.imwrite(str(folder / f"{i:03d}.png"), letterbox(load_image(p), (640, 480)))

    ctx = AppContext(Settings(demo_offered=True), store, pipeline)
    window = MainWindow(ctx, source=ImageFolderSource(folder, fps=1.0, loop=False))
    window.show()
    seen: list[int] = []
    ctx.result_ready.connect(lambda r: seen.append(r.index))
    window.start()
    wait_until(lambda: len(photos) - 1 in seen, 300)
    dialog = HistoryDialog.open_for(window.ctx, window)
    dialog.reload()
    wait_until(lambda: dialog.events_read.settled, 60)
    for _ in range(20):
        app.processEvents()
        time.sleep(0.02)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    dialog.grab().save(str(OUT))
    print(f"{OUT}: {len(dialog.events())} events from {len(photos)} photos")  # noqa: T201
    print(f"gallery kept for 'faceapp history --gallery': {store.path}")  # noqa: T201
    window.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
