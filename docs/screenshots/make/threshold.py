"""Make docs/screenshots/threshold-panel.png: the window at 1024x700, recognition's side panel.

Four of the five demo people are enrolled from ``train`` photos (three each, Mindy
Kaling one: the gallery list marks her), and a ``val`` photo of Elton John beside one
of Madonna, who is not enrolled, is shown with the real model.  The Threshold panel
then says what the automatic rule does with this gallery.  Run from the repository
root with the venv's python, offscreen:

    QT_QPA_PLATFORM=offscreen python docs/screenshots/make/threshold.py
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from shots import enrol, real_gallery, show_photos, train_photos, write_pair  # noqa: E402

from faceapp.gui.context import AppContext  # noqa: E402
from faceapp.gui.main_window import MainWindow  # noqa: E402
from faceapp.settings import Settings  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "threshold-panel.png"
#: Train photos enrolled per person folder.
ENROLLED = {"ben_afflek": 3, "elton_john": 3, "jerry_seinfeld": 3, "mindy_kaling": 1}
#: The window's size: the smallest that README screenshots are read at.
SIZE = (1024, 700)
log = logging.getLogger("threshold-screenshot")


def main() -> int:
    """Enrol four people, show a photo at 1024x700 and save the window."""
    with real_gallery("faceapp-threshold-shot-") as (work, pipeline, store):
        for person, n in ENROLLED.items():
            enrol(store, pipeline, person.replace("_", " ").title(), train_photos(person, n))
        pair = write_pair(work / "pair.png")

        ctx = AppContext(Settings(demo_offered=True), store, pipeline)
        window = MainWindow(ctx, source=str(pair))
        show_photos(window, size=SIZE)
        window.grab().save(str(OUT))
        panel = window.threshold_panel
        log.info("%s: %s | %s", OUT.name, panel.outlook_label.text(), panel.value_label.text())
        log.info("in view: %s", window.mode_panel.in_view_label.text())
        window.shutdown()
        window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
