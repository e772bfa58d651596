"""Make unknown-faces.png, daily.png and face-menu.png (issue 19) with the real model.

Run from the repository root (offscreen):

    QT_QPA_PLATFORM=offscreen python docs/screenshots/make/unknown_faces.py

- ``unknown-faces.png``: Gallery > Unknown faces… over the faces of a few LFW people
  with many photos (``../shared/data/lfw``), recorded as unknown appearances of two
  cameras with their real embedding, crop and quality, grouped by the app.
- ``daily.png``: History > Daily attendance after the five demo people were named in
  val photos; the events' times are spread over three working days by this script
  (the history records when a face was seen, and a script runs in seconds).
- ``face-menu.png``: the right-click menu on Madonna's face in the live view (a val photo
  of Elton John beside one of Madonna, both enrolled from one train photo).
"""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[3]
SHOTS = ROOT / "docs" / "screenshots"
LFW = ROOT.parent / "shared" / "data" / "lfw"
#: LFW people and how many of their photos are recorded as unknown faces.
LFW_PEOPLE = {
    "Colin_Powell": 20,
    "Tony_Blair": 14,
    "Gerhard_Schroeder": 9,
    "Hugo_Chavez": 6,
    "Serena_Williams": 4,
}
CAMERAS = ("front door", "reception")


def _settle(app, n: int = 25) -> None:
    for _ in range(n):
        app.processEvents()
        time.sleep(0.02)


def _unknown_events(pipeline) -> list:
    from faceapp.core.images import load_image
    from faceapp.core.quality import assess_face
    from faceapp.enrolment import thumbnail_of
    from faceapp.storage.history import CROP_SIZE, NewEvent

    start = datetime.now(timezone.utc) - timedelta(days=2)
    events = []
    for person, n in LFW_PEOPLE.items():
        for k, photo in enumerate(sorted((LFW / person).glob("*.jpg"))[:n]):
            image = load_image(photo)
            faces = pipeline.detect(image)
            if not faces:
                continue
            face = max(faces, key=lambda f: f.box.w * f.box.h)
            at = start + timedelta(hours=3 * k + len(events) % 7, minutes=len(events))
            events.append(
                NewEvent(
                    "recognition",
                    "unknown",
                    None,
                    1.2,
                    0.8,
                    CAMERAS[k % 2 if person != "Serena_Williams" else 1],
                    None,
                    thumbnail_of(image, face, CROP_SIZE),
                    at=at,
                    embedding=pipeline.embed(image, [face])[0],
                    quality=assess_face(image, face).figures,
                )
            )
    return events


def _named_events(pipeline, store) -> list:
    """Named events of the demo people seen in val photos, over three working days."""
    from shots import val_photo

    from faceapp.enrolment import thumbnail_of
    from faceapp.storage.history import CROP_SIZE, NewEvent

    index = store.index()
    monday = datetime.now().astimezone().replace(hour=8, minute=0, second=0, microsecond=0)
    monday -= timedelta(days=monday.weekday() + 7)
    events = []
    people = ("ben_afflek", "elton_john", "jerry_seinfeld", "madonna", "mindy_kaling")
    for day in range(3):
        for p, person in enumerate(people):
            if (day + p) % 4 == 3:
                continue  # somebody is away each day
            for visit in range(2 + (p + day) % 3):
                image = val_photo(person, (visit + day) % 5)
                result = pipeline.process(image, index)
                for fr in result.faces:
                    if not fr.known:
                        continue
                    at = monday + timedelta(
                        days=day, minutes=10 * p + 170 * visit + 7 * ((day * 5 + p) % 4)
                    )
                    events.append(
                        NewEvent(
                            "recognition",
                            "named",
                            fr.match.person_id,
                            fr.match.distance,
                            fr.match.threshold,
                            CAMERAS[0],
                            None,
                            thumbnail_of(image, fr.face, CROP_SIZE),
                            at=at,
                        )
                    )
    return events


def main() -> int:
    """Make the three screenshots; return 0 (1 when LFW is absent)."""
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QPainter
    from PySide6.QtWidgets import QApplication
    from shots import enrol, real_gallery, show_photos, wait_until, write_pair

    from faceapp.bulk_enrolment import demo_people
    from faceapp.core.sources import ImageFolderSource
    from faceapp.gui.context import AppContext
    from faceapp.gui.dialogs.history_dialog import HistoryDialog
    from faceapp.gui.dialogs.unknown_faces_dialog import UnknownFacesDialog
    from faceapp.gui.main_window import MainWindow
    from faceapp.settings import Settings
    from faceapp.storage.history import History

    if not LFW.is_dir():
        print(f"LFW is absent ({LFW}); nothing made")  # noqa: T201
        return 1
    with real_gallery("faceapp-unknown-shot-") as (work, pipeline, store):
        app = QApplication.instance()
        for name, photo in demo_people():
            enrol(store, pipeline, name, [photo])
        history = History(store)
        history.configure(retention_days=3650)
        history.record(_unknown_events(pipeline) + _named_events(pipeline, store))

        folder = work / "pair"
        folder.mkdir()
        write_pair(folder / "pair.png")
        ctx = AppContext(Settings(demo_offered=True), store, pipeline)
        window = MainWindow(ctx, source=ImageFolderSource(folder, fps=1.0, loop=False))
        show_photos(window, size=(1100, 700))

        # The Unknown faces dialog, its largest group selected.
        dialog = UnknownFacesDialog.open_for(window.ctx, window)
        dialog.resize(1000, 640)
        wait_until(lambda: dialog.reads.settled, 120)
        _settle(app)
        dialog.grab().save(str(SHOTS / "unknown-faces.png"))
        sizes = [g.count for g in dialog.shown_groups()]
        print(f"unknown-faces.png: groups {sizes}")  # noqa: T201
        dialog.close()

        # The daily attendance tab.
        hist = HistoryDialog.open_for(window.ctx, window)
        hist.resize(900, 560)
        hist.tabs.setCurrentIndex(1)
        wait_until(lambda: hist.daily_read.settled, 60)
        _settle(app)
        hist.grab().save(str(SHOTS / "daily.png"))
        print(f"daily.png: {hist.daily.rowCount()} rows")  # noqa: T201
        hist.close()

        # The right-click menu on Madonna's face.
        view = window.video_view
        result = view.visible_result()
        index = next(
            i for i, fr in enumerate(result.faces) if fr.match and fr.match.name == "Madonna"
        )
        menu = view.face_menu(index)
        box = view.face_box(index)
        at = view.mapTo(window, box.center().toPoint())
        menu.popup(window.mapToGlobal(at))
        _settle(app)
        shot = window.grab()
        painter = QPainter(shot)
        painter.drawPixmap(QPoint(at.x(), at.y()), menu.grab())
        painter.end()
        shot.save(str(SHOTS / "face-menu.png"))
        menu.close()
        print("face-menu.png: " + ", ".join(a.text() for a in menu.actions() if a.text()))  # noqa: T201
        window.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
