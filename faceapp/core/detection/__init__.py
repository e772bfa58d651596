"""FaceDetector: the protocol every face detector follows, and the factory that picks one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from faceapp.core.types import Box, Face

#: The detectors :func:`create_detector` knows.
DetectorName = Literal["mtcnn", "mtcnn-package"]


@runtime_checkable
class FaceDetector(Protocol):
    """Finds faces in a frame."""

    def prepare(self) -> None:
        """Load the model; heavy imports happen here, not at import time."""

    def detect(self, frame: np.ndarray) -> list[Face]:
        """Return the faces in a BGR uint8 frame of shape ``(h, w, 3)``, best score first."""


@runtime_checkable
class TrackingDetector(Protocol):
    """A detector that can also start its search at a given face size and follow known faces.

    Live mode (:mod:`faceapp.core.live`) uses both when the detector offers them; with a
    plain :class:`FaceDetector` it runs the full detector on every frame it processes.
    """

    def prepare(self) -> None:
        """Load the model; heavy imports happen here, not at import time."""

    def detect(self, frame: np.ndarray, min_face_size: float | None = None) -> list[Face]:
        """Return the faces of at least about ``min_face_size`` pixels, best score first."""

    def refine(self, frame: np.ndarray, boxes: Sequence[Box]) -> list[Face]:
        """Return one face per box, found near it by the last stage alone, whatever its score."""


def create_detector(name: DetectorName = "mtcnn", **kwargs: Any) -> FaceDetector:
    """Return a detector by name; nothing is loaded until its ``prepare()``.

    Parameters
    ----------
    name : {"mtcnn", "mtcnn-package"}
        ``"mtcnn"`` is faceapp's fast implementation of the cascade with the ``mtcnn``
        package's weights on OpenCV
        (:class:`~faceapp.core.detection.fast_mtcnn.FastMtcnnDetector`);
        ``"mtcnn-package"`` is the package itself, on TensorFlow (the reference).
    **kwargs
        Passed to the detector's constructor (``min_face_size``, ``thresholds``, ...).

    Raises
    ------
    ValueError
        For an unknown name.
    """
    if name == "mtcnn":
        from faceapp.core.detection.fast_mtcnn import FastMtcnnDetector

        return FastMtcnnDetector(**kwargs)
    if name == "mtcnn-package":
        from faceapp.core.detection.mtcnn_package import MtcnnPackageDetector

        return MtcnnPackageDetector(**kwargs)
    raise ValueError(f"unknown detector {name!r}; choose 'mtcnn' or 'mtcnn-package'")
