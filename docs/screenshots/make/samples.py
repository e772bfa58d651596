"""Screenshot of the samples dialog: Madonna's samples, one of them Jerry Seinfeld's photo.

The first two samples are stored without quality figures, as a gallery enrolled before
schema 4 holds them ("not recorded"); the others with the figures ``assess_face`` measured.

Run with the project's Python from the repository root (offscreen, real model and photos):
``QT_QPA_PLATFORM=offscreen python docs/screenshots/make/samples.py``; writes
``docs/screenshots/samples.png``.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))


from shots import wait_for_signal  # noqa: E402

from faceapp import paths  # noqa: E402
from faceapp.core.images import load_image  # noqa: E402
from faceapp.core.pipeline import FacePipeline  # noqa: E402
from faceapp.enrolment import prepare_sample  # noqa: E402
from faceapp.gui.app import create_application  # noqa: E402
from faceapp.gui.context import AppContext  # noqa: E402
from faceapp.gui.dialogs.samples_dialog import SamplesDialog  # noqa: E402
from faceapp.settings import Settings  # noqa: E402
from faceapp.storage.gallery import GalleryStore  # noqa: E402

OUT = ROOT / "docs" / "screenshots" / "samples.png"


def main() -> int:
    """Enrol the photos in a temporary gallery, open the dialog, save its picture."""
    logging.basicConfig(level=logging.WARNING)
    app = create_application()
    train = paths.celebrity_dir() / "train"
    photos = sorted((train / "madonna").glob("*.jpg"))[:5]
    photos.insert(3, sorted((train / "jerry_seinfeld").glob("*.jpg"))[0])
    pipeline = FacePipeline()
    pipeline.prepare()
    samples = []
    for photo in photos:
        s = prepare_sample(pipeline, load_image(photo), str(photo), largest=True)
        samples.append(s.stored())
    with tempfile.TemporaryDirectory() as tmp:
        store = GalleryStore(Path(tmp) / "gallery.sqlite3")
        store.add_samples("Madonna", [s[:3] for s in samples[:2]])  # as before schema 4
        store.add_samples("Madonna", samples[2:3])
        store.add_samples("Madonna", samples[3:4])  # a later add: the wrong photo
        store.add_samples("Madonna", samples[4:])
        ctx = AppContext(Settings(demo_offered=True), store, pipeline)
        ctx.start_gallery()
        wait_for_signal(ctx.people_reset, 30)
        dialog = SamplesDialog(ctx, store.find_person("Madonna").id)
        dialog.resize(860, 680)
        dialog.show()
        wait_for_signal(dialog.loaded, 30)
        dialog.sort_combo.setCurrentText("Farthest from the mean first")
        app.processEvents()
        OUT.parent.mkdir(parents=True, exist_ok=True)
        dialog.grab().save(str(OUT))
        dialog.close()
        ctx.stop_gallery()
    print(OUT)  # noqa: T201 - a script's result
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
