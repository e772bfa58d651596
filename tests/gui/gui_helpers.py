"""Helpers for the GUI tests: real photo folders, a context factory, fake models for logic tests."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np

from faceapp import paths
from faceapp.core.sources import Frame, SourceError
from faceapp.core.types import Box, Face


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


# -- fake models for logic tests ---------------------------------------------------------


def face_in_middle(frame: np.ndarray) -> Face:
    """Return a face box (with plausible landmarks) in the middle half of ``frame``."""
    h, w = frame.shape[:2]
    box = Box(w / 4, h / 4, w / 2, h / 2)
    pts = tuple(
        (box.x + box.w * a, box.y + box.h * b)
        for a, b in ((0.3, 0.4), (0.7, 0.4), (0.5, 0.6), (0.35, 0.8), (0.65, 0.8))
    )
    return Face(box, pts, 0.99)  # type: ignore[arg-type]


class CentreDetector:
    """A fake detector: one face in the middle of every frame.

    ``delay_s`` makes each detection that slow (a busy worker); ``fail`` is raised by
    ``prepare`` (a model that cannot be loaded); with a ``gate``, ``prepare`` blocks
    until the test sets it (a model load that takes as long as the test wants).
    """

    def __init__(
        self,
        delay_s: float = 0.0,
        fail: Exception | None = None,
        gate: threading.Event | None = None,
    ) -> None:
        self.delay_s = delay_s
        self.fail = fail
        self.gate = gate
        self.loading = threading.Event()
        self.prepared = False
        self.calls = 0

    def prepare(self) -> None:
        self.loading.set()
        if self.gate is not None and not self.gate.wait(60):
            raise TimeoutError("the test never opened the gate")
        if self.fail is not None:
            raise self.fail
        self.prepared = True

    def detect(self, frame: np.ndarray) -> list[Face]:
        self.calls += 1
        if self.delay_s:
            time.sleep(self.delay_s)
        return [face_in_middle(frame)]


#: The direction a :class:`GreyEmbedder` embedding is measured from: enrol a person with
#: this embedding and a face's distance to them is ``1 - mean brightness / 255``.
REFERENCE = np.eye(1, 128, 0, dtype=np.float32)[0]


class GreyEmbedder:
    """A fake embedder whose distance to :data:`REFERENCE` is 1 - mean brightness / 255.

    The unit vector ``(cos a, sin a, 0, ...)`` lies ``2 sin(a / 2)`` from ``REFERENCE``;
    ``a`` is chosen so that this is the wanted distance.  So the real matching of
    ``FacePipeline`` decides, and uniform grey frames give known distances.
    ``delay_s`` makes each call that slow.
    """

    input_size = 160
    dim = 128

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.crops = 0

    def prepare(self) -> None:
        pass

    def embed(self, crops: np.ndarray) -> np.ndarray:
        if self.delay_s:
            time.sleep(self.delay_s)
        self.crops += len(crops)
        distance = 1.0 - crops.reshape(len(crops), -1).mean(axis=1) / 255.0
        angle = 2.0 * np.arcsin(np.clip(distance / 2.0, 0.0, 1.0))
        out = np.zeros((len(crops), self.dim), np.float32)
        out[:, 0], out[:, 1] = np.cos(angle), np.sin(angle)
        return out


def fake_pipeline(detector: CentreDetector | None = None, embedder: GreyEmbedder | None = None):
    """Return the real ``FacePipeline`` with the fake models (no TensorFlow)."""
    from faceapp.core.pipeline import FacePipeline

    return FacePipeline(detector or CentreDetector(), embedder or GreyEmbedder())


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


def judged(gate, ticket, frame, result, mode):
    """Return the :class:`LiveResult` the recognition loop publishes, judged by ``gate``."""
    from faceapp.session.live import LiveResult

    judgement = gate.judge(result, mode, frame.image)
    return LiveResult(ticket, frame, result, mode, judgement=judgement, claim=gate.claim)
