"""Screenshots of guided capture and of the wrong-person warning, with the real model and photos.

Writes ``docs/screenshots/guided-capture.png`` (the capture dialog in guided mode after two
of five samples: live checklist, progress, thumbnails) and
``docs/screenshots/wrong-person.png`` (the warning shown when photos of other people are
added to Madonna, with the real distances).  The five demo people are enrolled from one
train photo each into a temporary gallery; the "live stream" is Jerry Seinfeld's val
photos 2, 3 and 4 (frontal, turned, turned the other way) letterboxed to 640x480.

    QT_QPA_PLATFORM=offscreen PYTHONPATH=. .venv/bin/python docs/screenshots/make/guided.py
"""

# ruff: noqa: T201 - a script that says what it did

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication  # noqa: E402
from shots import enrol, wait_until  # noqa: E402

from faceapp import paths  # noqa: E402
from faceapp.bulk_enrolment import demo_people
from faceapp.core.images import load_image  # noqa: E402
from faceapp.core.matching import GalleryIndex  # noqa: E402
from faceapp.core.pipeline import FacePipeline  # noqa: E402
from faceapp.core.sources import Frame, letterbox  # noqa: E402
from faceapp.enrolment import prepare_sample  # noqa: E402
from faceapp.gui.app import create_application  # noqa: E402
from faceapp.gui.context import AppContext  # noqa: E402
from faceapp.gui.dialogs.enrol_dialog import EnrolDialog  # noqa: E402
from faceapp.gui.dialogs.wrong_person_dialog import WrongPersonDialog  # noqa: E402
from faceapp.session.enrol_jobs import screen_samples  # noqa: E402
from faceapp.session.flagged import FlaggedSample  # noqa: E402
from faceapp.settings import Settings  # noqa: E402
from faceapp.storage.gallery import GalleryStore  # noqa: E402

OUT = Path(__file__).resolve().parents[1]


def val_photo(person: str, k: int) -> Path:
    """Return the ``k``-th val photo (sorted by name) of ``person``'s folder."""
    return sorted((paths.celebrity_dir() / "val" / person).glob("*.jpg"))[k]


def guided_capture(ctx: AppContext, pipeline: FacePipeline) -> None:
    """Grab the guided capture dialog after two samples (front, left) of Jerry."""
    frames = []
    for k in (2, 3, 4):
        image = letterbox(load_image(val_photo("jerry_seinfeld", k)), (640, 480))
        image.setflags(write=False)
        frames.append((image, pipeline.process(image, GalleryIndex.empty())))
    now = [0.0]
    shown = [(Frame(frames[0][0], 0, 0.0), frames[0][1])]
    dialog = EnrolDialog(ctx, lambda: shown[0], "Jerry Seinfeld", clock=lambda: now[0])
    panel = dialog.guided_panel
    wait_until(lambda: len(panel.taken.shots) == 1)
    now[0] = 2.0
    shown[0] = (Frame(frames[1][0], 1, 2.0), frames[1][1])
    wait_until(lambda: len(panel.taken.shots) == 2)
    # The next frame: frontal again, so it is not taken; the checklist shows it live.
    now[0] = 3.0
    shown[0] = (Frame(frames[0][0], 2, 3.0), frames[0][1])
    wait_until(lambda: dialog.offer.report is not None and dialog.offer.frame is shown[0][0])
    wait_until(lambda: panel.hint_label.text() != "Taken.")
    dialog.resize(900, dialog.sizeHint().height())
    dialog.show()
    QCoreApplication.processEvents()
    path = OUT / "guided-capture.png"
    dialog.grab().save(str(path))
    print(f"{path}: {panel.progress_label.text()!r}, {len(panel.taken.shots)} taken")
    dialog.reject()


def wrong_person(index: GalleryIndex, pipeline: FacePipeline, threshold: float) -> None:
    """Grab the warning for photos of Madonna, Jerry and Mindy added to Madonna."""
    photos = [
        val_photo("madonna", 0),
        val_photo("jerry_seinfeld", 2),
        val_photo("mindy_kaling", 3),
    ]
    samples = tuple(
        ("Madonna", prepare_sample(pipeline, load_image(p), str(p), largest=True)) for p in photos
    )
    verdicts = screen_samples(samples, index, threshold)
    flagged = [
        FlaggedSample(s.source, s.thumbnail, v) for (_, s), v in zip(samples, verdicts) if not v.ok
    ]
    dialog = WrongPersonDialog("Madonna", flagged, len(samples))
    dialog.boxes[1].setChecked(True)  # the user is about to add Mindy's photo anyway
    dialog.resize(640, dialog.sizeHint().height())
    dialog.show()
    QCoreApplication.processEvents()
    path = OUT / "wrong-person.png"
    dialog.grab().save(str(path))
    for v in verdicts:
        print(f"  {v.message}")
    print(f"{path}: {len(flagged)} of {len(samples)} flagged")
    dialog.reject()


def main() -> None:
    """Enrol the demo people in a temporary gallery and write both screenshots."""
    create_application()
    pipeline = FacePipeline()
    pipeline.prepare()
    with tempfile.TemporaryDirectory() as tmp:
        store = GalleryStore(Path(tmp) / "gallery.sqlite3")
        for name, photo in demo_people():
            enrol(store, pipeline, name, [photo])
        ctx = AppContext(Settings(demo_offered=True), store, pipeline)
        ctx.start_gallery()
        wait_until(lambda: ctx.gallery_index() is not None and len(ctx.gallery_index()) == 5)
        guided_capture(ctx, pipeline)
        wrong_person(ctx.gallery_index(), pipeline, ctx.settings.threshold)
        ctx.stop_gallery()


if __name__ == "__main__":
    main()
