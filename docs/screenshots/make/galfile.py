"""Screenshot of the import conflict question: docs/screenshots/gallery-import.png.

Enrols the 5-celebrity ``train`` photos with the real model into one gallery, exports
it, starts the window on a second gallery that already holds three of those people and
imports the file: the question that lists them is saved.  Run with the project's Python
(``QT_QPA_PLATFORM=offscreen``).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from shots import wait_for_signal  # noqa: E402

from faceapp import paths  # noqa: E402
from faceapp.core.images import load_image  # noqa: E402
from faceapp.core.pipeline import FacePipeline  # noqa: E402
from faceapp.enrolment import prepare_sample  # noqa: E402
from faceapp.gui.app import create_application  # noqa: E402
from faceapp.gui.context import AppContext  # noqa: E402
from faceapp.gui.main_window import MainWindow  # noqa: E402
from faceapp.settings import Settings  # noqa: E402
from faceapp.storage.archive import export_gallery  # noqa: E402
from faceapp.storage.gallery import GalleryStore  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "gallery-import.png"


def main() -> int:
    """Make the screenshot; returns the exit status."""
    app = create_application()
    pipeline = FacePipeline()
    pipeline.prepare()
    tmp = Path(tempfile.mkdtemp(prefix="galfile-"))
    club = GalleryStore(tmp / "club.sqlite3")
    home = GalleryStore(tmp / "home.sqlite3")
    root = paths.celebrity_dir() / "train"
    for k, folder in enumerate(sorted(p for p in root.iterdir() if p.is_dir())):
        name = folder.name.replace("_", " ").title()
        for photo in sorted(folder.glob("*.jpg"))[:3]:
            s = prepare_sample(pipeline, load_image(photo), photo.name, largest=True)
            club.add_samples(name, [(s.embedding, s.thumbnail, s.source)])
            if k % 2 == 0 and photo.name == sorted(folder.glob("*.jpg"))[0].name:
                home.add_samples(name, [(s.embedding, s.thumbnail, s.source)])
    archive = tmp / "club-gallery.zip"
    export_gallery(club, archive, pipeline.embedder.weights_sha256())

    ctx = AppContext(Settings(source="demo", demo_offered=True), home, pipeline)
    window = MainWindow(ctx, source="demo")
    window.show()
    window.start()
    files = window.gallery_files
    files.import_from(archive)
    dialog = wait_for_signal(files.conflict_asked)[0]
    dialog.adjustSize()
    app.processEvents()
    ok = dialog.grab().save(str(OUT), "PNG")
    dialog.reject()
    window.close()
    print(f"{OUT} {'saved' if ok else 'NOT saved'}")  # noqa: T201 - a script's result
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
