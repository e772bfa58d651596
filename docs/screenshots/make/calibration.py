"""Screenshot of the calibration dialog on a real gallery: docs/screenshots/calibration.png.

The 5-celebrity train photos (every usable one) are enrolled with the real MTCNN +
FaceNet pipeline into a fresh gallery, the app's dialog computes the report in its
worker, and the dialog is grabbed offscreen.

    QT_QPA_PLATFORM=offscreen PYTHONPATH=. .venv/bin/python \
        docs/screenshots/make/calibration.py [GALLERY]

With GALLERY (a file path), the gallery is kept there and reused when it exists.
"""

# ruff: noqa: T201 - a script that says what it did

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


from shots import enrol, wait_until  # noqa: E402

from faceapp import paths  # noqa: E402
from faceapp.core.pipeline import FacePipeline  # noqa: E402
from faceapp.gui.app import create_application  # noqa: E402
from faceapp.gui.context import AppContext  # noqa: E402
from faceapp.settings import Settings  # noqa: E402
from faceapp.storage.gallery import GalleryStore  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "calibration.png"


def enrol_train_set(store: GalleryStore, pipeline: FacePipeline) -> int:
    """Enrol every usable train photo of each person; return the number of samples."""
    root = paths.celebrity_dir() / "train"
    n = 0
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        name = folder.name.replace("_", " ").title()
        n += enrol(store, pipeline, name, sorted(folder.glob("*.jpg")), skip_bad=True)
    return n


def main() -> int:
    """Build or reuse the gallery, open the dialog, save the screenshot."""
    app = create_application()
    pipeline = FacePipeline()
    pipeline.prepare()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tmp) / "gallery.sqlite3"
        reuse = path.is_file()
        store = GalleryStore(path)
        if not reuse:
            n = enrol_train_set(store, pipeline)
            print(f"enrolled {n} samples of {len(store.people())} people")
        ctx = AppContext(Settings(demo_offered=True), store, pipeline)
        ctx.start_gallery()
        wait_until(lambda: ctx.gallery_index() is not None)
        from faceapp.gui.dialogs.calibration_dialog import CalibrationDialog

        dialog = CalibrationDialog(ctx)
        dialog.resize(1240, 800)
        dialog.show()
        wait_until(lambda: dialog.report is not None)
        for _ in range(20):
            app.processEvents()
        dialog.grab().save(str(OUT))
        print(f"wrote {OUT}")
        r = dialog.report
        print(r.people, r.samples, r.genuine_pairs, r.impostor_pairs)
        for t in r.thresholds:
            print(t.label, t.threshold, t.far, t.tar, t.loo_right, t.loo_wrong, t.loo_unknown)
        for c in r.closest:
            print(c)
        dialog.close()
        ctx.stop_gallery()
    return 0


if __name__ == "__main__":
    sys.exit(main())
