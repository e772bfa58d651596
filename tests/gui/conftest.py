"""GUI test fixtures: offscreen Qt, own preferences, no dangling threads, real models once."""

from __future__ import annotations

import os
import traceback
from pathlib import Path
from weakref import WeakKeyDictionary

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from .gui_helpers import celebrity_photos  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _isolated_qsettings(tmp_path_factory):
    """Keep QSettings of the tests away from the user's preferences."""
    from PySide6.QtCore import QSettings

    folder = tmp_path_factory.mktemp("qsettings")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    yield


@pytest.fixture(autouse=True)
def _dangling_qthreads(monkeypatch, qtbot, request):
    """Fail a test that leaves a QThread running (after napari's fixture of this name)."""
    from PySide6.QtCore import QThread

    base_start = QThread.start
    started: WeakKeyDictionary = WeakKeyDictionary()

    def start(self, *args, **kwargs):
        started[self] = "".join(traceback.format_stack(limit=12))
        return base_start(self, *args, **kwargs)

    monkeypatch.setattr(QThread, "start", start)
    yield
    # A thread that ends by itself within a second (a dialog's job that just delivered
    # its answer) is not dangling; one that waits for a stop is.
    dangling = [(t, s) for t, s in list(started.items()) if t.isRunning() and not t.wait(1000)]
    for thread, _ in dangling:  # leave the next test a clean process
        thread.quit()
        thread.wait(30_000)
    if dangling:
        where = "\n\n".join(f"{t.objectName() or t}:\n{stack}" for t, stack in dangling)
        pytest.fail(
            f"{len(dangling)} QThread(s) still running after the test, started at:\n{where}"
        )


@pytest.fixture(autouse=True)
def _dangling_qthread_pool(qtbot):
    """Fail a test that leaves work running in the global QThreadPool."""
    from PySide6.QtCore import QThreadPool

    yield
    pool = QThreadPool.globalInstance()
    if not pool.waitForDone(10_000):
        pytest.fail("QThreadPool tasks still running after the test")


# -- real data ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def val_photos() -> dict[str, list[Path]]:
    photos = celebrity_photos("val")
    if not photos:
        pytest.skip("the 5-celebrity photos are absent (run 'faceapp weights fetch')")
    return photos


@pytest.fixture(scope="session")
def real_pipeline(face_models):
    """The real MTCNN + FaceNet pipeline of the GUI tests, on the session's loaded models."""
    from tests.conftest import shared_pipeline

    if not celebrity_photos("train"):
        pytest.skip("the 5-celebrity photos are absent (run 'faceapp weights fetch')")
    return shared_pipeline(face_models)


@pytest.fixture(scope="session")
def demo_embeddings(real_pipeline):
    """``[(name, embedding, thumbnail, source)]``: one train photo per 5-celebrity person."""
    from faceapp.bulk_enrolment import demo_people
    from faceapp.core.images import load_image
    from faceapp.enrolment import prepare_sample

    out = []
    for name, photo in demo_people():
        s = prepare_sample(real_pipeline, load_image(photo), str(photo), largest=True)
        out.append((name, s.embedding, s.thumbnail, s.source))
    return out


# -- application objects ----------------------------------------------------------------


@pytest.fixture
def store(tmp_path):
    from faceapp.storage.gallery import GalleryStore

    return GalleryStore(tmp_path / "gallery.sqlite3")


@pytest.fixture
def demo_store(store, demo_embeddings):
    """A gallery with the five demo people enrolled from one train photo each."""
    for name, emb, thumb, source in demo_embeddings:
        store.add_samples(name, [(emb, thumb, source)])
    return store


@pytest.fixture
def make_window(qtbot):
    """Return ``make(ctx, source) -> started MainWindow``; shut down after the test."""
    windows = []

    def make(ctx, source, start=True):
        from faceapp.gui.main_window import MainWindow

        window = MainWindow(ctx, source=source)
        qtbot.addWidget(window)
        windows.append(window)
        window.show()
        if start:
            window.start()
        return window

    yield make
    for w in windows:
        w.shutdown()
