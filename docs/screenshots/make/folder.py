"""Screenshot of the photo results table after a real run over ten 5-celebrity photos.

Run from the repository root (offscreen, real models, real photos)::

    QT_QPA_PLATFORM=offscreen python docs/screenshots/make/folder.py

Writes ``docs/screenshots/folder-results.png`` (the results table) and
``docs/screenshots/folder-window.png`` (the window on the last photo).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


from shots import enrol, show_photos  # noqa: E402

from faceapp import paths  # noqa: E402
from faceapp.core.pipeline import FacePipeline  # noqa: E402
from faceapp.gui.app import create_application  # noqa: E402
from faceapp.gui.context import AppContext  # noqa: E402
from faceapp.gui.main_window import MainWindow  # noqa: E402
from faceapp.settings import Settings  # noqa: E402
from faceapp.storage.gallery import GalleryStore  # noqa: E402

OUT = Path(__file__).resolve().parents[1]
ENROLLED = ("ben_afflek", "madonna", "mindy_kaling")
log = logging.getLogger("folder-screenshot")


def main() -> int:
    """Enrol three people, run the window over ten photos, save the two screenshots."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    app = create_application()
    root = paths.celebrity_dir()
    work = Path(tempfile.mkdtemp(prefix="faceapp-folder-shot-"))
    try:
        pipeline = FacePipeline()
        pipeline.prepare()
        store = GalleryStore(work / "gallery.sqlite3")
        for person in ENROLLED:
            name = person.replace("_", " ").title()
            enrol(store, pipeline, name, sorted((root / "train" / person).glob("*.jpg"))[:3])
        folder = work / "holiday photos"
        folder.mkdir()
        people = sorted(p for p in (root / "val").iterdir() if p.is_dir())
        n = 0
        for i in (0, 2):
            for person in people:
                n += 1
                photo = sorted(person.glob("*.jpg"))[i]
                shutil.copy(photo, folder / f"photo-{n:02d}.jpg")
        ctx = AppContext(Settings(demo_offered=True, photo_interval_s=1.0), store, pipeline)
        window = MainWindow(ctx, source=str(folder))
        show_photos(window)
        dialog = window.photos.show_results()
        dialog.resize(820, 430)
        for _ in range(20):
            app.processEvents()
        rows = dialog.rows()
        log.info("%d of %d photos processed", sum(r.processed for r in rows), len(rows))
        for r in rows:
            log.info(" | ".join(r.cells()))
        window.grab().save(str(OUT / "folder-window.png"))
        dialog.grab().save(str(OUT / "folder-results.png"))
        window.shutdown()
        dialog.close()
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
