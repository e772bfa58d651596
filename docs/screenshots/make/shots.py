"""Steps the screenshot scripts share: waiting on Qt, enrolling real photos, showing photos."""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer

from faceapp.core.images import load_image
from faceapp.enrolment import EnrolmentError, prepare_sample


def wait_until(condition: Callable[[], bool], seconds: float = 120.0) -> None:
    """Process events until ``condition()`` holds; exit the script after ``seconds``."""
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            raise SystemExit("timed out")
        QCoreApplication.processEvents()
        time.sleep(0.01)


def wait_for_signal(signal: Any, seconds: float = 60.0) -> list:
    """Run the event loop until ``signal`` fires and return its arguments."""
    loop = QEventLoop()
    got: list = []
    signal.connect(lambda *args: (got.append(args), loop.quit()))
    QTimer.singleShot(round(seconds * 1000), loop.quit)
    loop.exec()
    if not got:
        raise SystemExit("timed out")
    return list(got[0])


def enrol(
    store: Any, pipeline: Any, name: str, photos: Iterable[Path], skip_bad: bool = False
) -> int:
    """Enrol the largest face of each photo as ``name`` (quality figures kept); return the count.

    With ``skip_bad`` a photo the enrolment refuses is left out, else it stops the script.
    """
    items = []
    for photo in photos:
        try:
            items.append(prepare_sample(pipeline, load_image(photo), str(photo), largest=True))
        except EnrolmentError:
            if not skip_bad:
                raise
    if items:
        store.add_samples(name, [s.stored() for s in items])
    return len(items)


def val_photo(person: str, k: int) -> Any:
    """Return the ``k``-th ``val`` photo (by file name) of a 5-celebrity person, BGR."""
    from faceapp import paths

    return load_image(sorted((paths.celebrity_dir() / "val" / person).glob("*.jpg"))[k])


def write_pair(path: Path) -> Path:
    """Write a val photo of Elton John beside one of Madonna (480x600 each) to ``path``."""
    import cv2
    import numpy as np

    from faceapp.core.sources import letterbox

    halves = [letterbox(val_photo(p, 0), (480, 600)) for p in ("elton_john", "madonna")]
    cv2.imwrite(str(path), np.hstack(halves))
    return path


def show_photos(window: Any, seconds: float = 120.0, size: tuple[int, int] = (1240, 800)) -> None:
    """Show ``window`` (a MainWindow on a photo source) until every photo is processed.

    The window is ``size`` (width, height) pixels; the README's shots use the default.
    """
    window.resize(*size)
    window.show()
    loop = QEventLoop()
    window.photos.run_finished.connect(lambda _n: QTimer.singleShot(800, loop.quit))
    QTimer.singleShot(round(seconds * 1000), loop.quit)
    window.start()
    loop.exec()


@contextlib.contextmanager
def real_gallery(prefix: str) -> Iterator[tuple[Path, Any, Any]]:
    """Yield ``(folder, pipeline, store)``: Qt started, the real models, an empty gallery.

    The gallery lives in a temporary ``folder`` that is removed afterwards.
    """
    from faceapp.core.pipeline import FacePipeline
    from faceapp.gui.app import create_application
    from faceapp.storage.gallery import GalleryStore

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    create_application()
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        pipeline = FacePipeline()
        pipeline.prepare()
        yield work, pipeline, GalleryStore(work / "gallery.sqlite3")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def train_photos(person: str, n: int) -> list[Path]:
    """Return the first ``n`` ``train`` photos (by file name) of a 5-celebrity person."""
    from faceapp import paths

    return sorted((paths.celebrity_dir() / "train" / person).glob("*.jpg"))[:n]
