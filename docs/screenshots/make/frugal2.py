"""Screenshot of the threshold panel with the live minimum face size (docs/screenshots)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

OUT = Path(__file__).resolve().parents[1] / "threshold-min-face.png"


def main() -> int:
    """Save the panel in its group box, as the window shows it, with a 48 px smallest face."""
    from PySide6.QtWidgets import QApplication, QGroupBox, QVBoxLayout
    from shots import wait_until

    from faceapp.core.pipeline import FacePipeline
    from faceapp.gui.app import create_application
    from faceapp.gui.context import AppContext
    from faceapp.gui.widgets.threshold_panel import ThresholdPanel
    from faceapp.settings import Settings
    from faceapp.storage.gallery import GalleryStore

    app = create_application()
    with tempfile.TemporaryDirectory() as tmp:
        ctx = AppContext(
            Settings(demo_offered=True), GalleryStore(Path(tmp) / "g.sqlite3"), FacePipeline()
        )
        ctx.start_gallery()  # read (empty): the panel says so rather than "Reading…"
        wait_until(lambda: ctx.gallery_index() is not None)
        box = QGroupBox("Threshold")  # as the window's side panel holds it
        panel = ThresholdPanel(ctx)
        QVBoxLayout(box).addWidget(panel)
        box.resize(400, box.sizeHint().height())
        box.show()
        panel.min_face.spin.setValue(48)
        QApplication.processEvents()
        box.grab().save(str(OUT))
        ctx.stop_gallery()
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
