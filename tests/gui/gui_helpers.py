"""Helpers for the GUI tests: real photo folders, a context factory, and fakes for logic tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from faceapp import paths
from faceapp.core.matching import GalleryIndex
from faceapp.core.pipeline import MatchSettings
from faceapp.core.sources import Frame, SourceError
from faceapp.core.types import Box, Face, FaceResult, FrameResult, Match


def celebrity_photos(split: str) -> dict[str, list[Path]]:
    """Return ``{folder name: photos}`` of the 5-celebrity ``split`` (empty when absent)."""
    root = paths.celebrity_dir() / split
    if not root.is_dir():
        return {}
    return {p.name: sorted(p.glob("*.jpg")) for p in sorted(root.iterdir()) if p.is_dir()}


def make_ctx(store, pipeline, **settings):
    from faceapp.gui.context import AppContext
    from faceapp.settings import Settings

    return AppContext(Settings(demo_offered=True, **settings), store, pipeline)


def letterboxed_folder(folder: Path, photos: list[Path]) -> Path:
    """Write ``photos`` letterboxed to 640x480 as ``000.png, 001.png, ...`` into ``folder``."""
    import cv2

    from faceapp.core.images import load_image
    from faceapp.core.sources import letterbox

    folder.mkdir(parents=True, exist_ok=True)
    for i, p in enumerate(photos):
        cv2.imwrite(str(folder / f"{i:03d}.png"), letterbox(load_image(p), (640, 480)))
    return folder


# -- fakes for logic tests ----------------------------------------------------------------


class FakePipeline:
    """Finds one face in the middle of every frame; distance = 1 - mean intensity / 255.

    Matches like the real rule (distance <= threshold accepts) against the first person
    of the gallery, so tests of wiring and threads run without TensorFlow.
    """

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.tracker = None
        self.prepared = False
        self.calls = 0

    def prepare(self) -> None:
        self.prepared = True

    def detect(self, frame):
        h, w = frame.shape[:2]
        box = Box(w / 4, h / 4, w / 2, h / 2)
        cx, cy = box.center
        lm = (
            (cx - 20, cy - 10),
            (cx + 20, cy - 10),
            (cx, cy + 5),
            (cx - 15, cy + 25),
            (cx + 15, cy + 25),
        )
        return [Face(box, lm, 0.99)]

    def embed(self, frame, faces):
        v = np.zeros((len(faces), 128), np.float32)
        v[:, 0] = 1.0
        return v

    def process(self, frame, gallery: GalleryIndex, settings=None, index=0, timestamp=0.0):
        import time

        settings = settings or MatchSettings()
        self.calls += 1
        if self.delay_s:
            time.sleep(self.delay_s)
        dist = 1.0 - float(frame.mean()) / 255.0
        faces = self.detect(frame)
        if len(gallery) == 0:
            m = Match(None, float("inf"), settings.threshold, False)
        else:
            name = settings.claim if settings.mode == "verification" else gallery.names[0]
            ok = dist <= settings.threshold
            m = Match(
                name if (ok or settings.mode == "verification") else None,
                dist,
                settings.threshold,
                ok,
            )
        return FrameResult(index, timestamp, tuple(FaceResult(f, m) for f in faces), 1.0)


class ListSource:
    """A finite or failing source of given frames (like a camera when ``live``).

    Parameters
    ----------
    images : list of ndarray
        Frames to deliver, in a loop.
    fail_after : int, optional
        Raise :class:`SourceError` on the read after this many frames.
    fps : float
        Rate for file-like pacing (``live=False``).
    count : int, optional
        End (return None) after this many frames.
    """

    def __init__(self, images, fail_after=None, fps=30.0, live=False, count=None, name="fake"):
        self.images = images
        self.fail_after = fail_after
        self.fps = fps
        self.live = live
        self.count = count
        self.name = name
        self.opened = 0
        self.closed = 0
        self._n = 0

    def open(self) -> None:
        self.opened += 1
        self._n = 0

    def read(self):
        if self.fail_after is not None and self._n >= self.fail_after:
            raise SourceError(f"{self.name} was unplugged")
        if self.count is not None and self._n >= self.count:
            return None
        image = self.images[self._n % len(self.images)].copy()
        frame = Frame(image, self._n, self._n / self.fps)
        self._n += 1
        return frame

    def close(self) -> None:
        self.closed += 1


def grey_frames(n=3, shape=(120, 160, 3)):
    return [np.full(shape, 40 + 60 * i, np.uint8) for i in range(n)]


class Recorder:
    """Collects the emissions of a signal on the GUI thread, wherever it is emitted.

    pytest-qt's ``waitSignal`` runs its callback in the emitting thread when a worker
    emits; connecting a worker's signal to this recorder's slot instead queues each
    emission to the GUI thread, where ``qtbot.waitUntil`` can look at it.
    """

    def __init__(self, signal) -> None:
        from PySide6.QtCore import QObject, Slot

        calls: list[tuple] = []

        class _Receiver(QObject):
            @Slot()
            def noop(self) -> None:  # pragma: no cover - only gives the class a slot
                pass

            def record(self, *args) -> None:
                calls.append(args)

        self.calls = calls
        self._receiver = _Receiver()
        signal.connect(self._receiver.record)

    def __len__(self) -> int:
        return len(self.calls)

    @property
    def last(self) -> tuple:
        return self.calls[-1]

    def wait(self, qtbot, predicate=lambda args: True, timeout=10_000) -> tuple:
        """Wait until an emission satisfies ``predicate(args)``; return its args."""
        found: list[tuple] = []

        def check() -> bool:
            found[:] = [a for a in self.calls if predicate(a)]
            return bool(found)

        qtbot.waitUntil(check, timeout=timeout)
        return found[0]
