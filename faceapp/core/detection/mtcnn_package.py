"""The ``mtcnn`` package as a FaceDetector: the reference our fast detector is checked against."""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy as np

from faceapp.core.errors import ModelError
from faceapp.core.types import Box, Face, Point

log = logging.getLogger(__name__)

#: Order of the five landmarks in :class:`Face` and the ``mtcnn`` package's key names.
LANDMARK_KEYS = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")


class MtcnnPackageDetector:
    """MTCNN as implemented by the ``mtcnn`` package (P-, R- and O-Net with its own weights).

    This is the reference implementation: slow (hundreds of milliseconds per VGA frame
    on two CPU cores) but exactly the package's behaviour.

    Parameters
    ----------
    min_face_size : int
        Smallest face side, in pixels, that the image pyramid looks for.
    thresholds : tuple of three floats
        Score thresholds of the P-, R- and O-Net stages.

    Notes
    -----
    Thread-safe: calls are serialised with a lock.
    """

    def __init__(
        self, min_face_size: int = 20, thresholds: tuple[float, float, float] = (0.6, 0.7, 0.8)
    ) -> None:
        self.min_face_size = min_face_size
        self.thresholds = thresholds
        self._mtcnn: Any = None
        self._lock = threading.Lock()

    def prepare(self) -> None:
        """Import TensorFlow and the ``mtcnn`` package and build its networks.

        Raises
        ------
        ModelError
            When TensorFlow or the package cannot be loaded.
        """
        if self._mtcnn is not None:
            return
        from faceapp.core.runtime import configure_tensorflow

        configure_tensorflow()
        try:
            from mtcnn import MTCNN
        except ImportError as exc:
            raise ModelError(f"the mtcnn package could not be loaded: {exc}") from exc

        self._mtcnn = MTCNN(device="CPU:0")

    def detect(self, frame: np.ndarray) -> list[Face]:
        """Return faces in a BGR frame, highest score first."""
        self.prepare()
        rgb = np.ascontiguousarray(frame[..., ::-1])
        p, r, o = self.thresholds
        with self._lock:
            raw = self._mtcnn.detect_faces(
                rgb,
                min_face_size=self.min_face_size,
                threshold_pnet=p,
                threshold_rnet=r,
                threshold_onet=o,
            )
        faces = [_face_from_package(d) for d in raw]
        return sorted(faces, key=lambda f: f.score, reverse=True)


def _face_from_package(d: dict[str, Any]) -> Face:
    x, y, w, h = (float(v) for v in d["box"])
    kp = d["keypoints"]
    pts: list[Point] = [(float(kp[k][0]), float(kp[k][1])) for k in LANDMARK_KEYS]
    return Face(Box(x, y, w, h), (pts[0], pts[1], pts[2], pts[3], pts[4]), float(d["confidence"]))
