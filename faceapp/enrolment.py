"""Turning photos into gallery samples: one face per photo, embedded, with a thumbnail."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from faceapp.core.embedding.align import box_matrix
from faceapp.core.images import encode_jpeg
from faceapp.core.pipeline import FacePipeline, largest_face
from faceapp.core.quality import QualityFigures, assess_face
from faceapp.core.types import Face

#: Side of the square JPEG thumbnail stored with each sample, in pixels.
THUMBNAIL_SIZE = 96

#: Margin around the detector box in thumbnails, as a fraction of the box's larger side.
THUMBNAIL_MARGIN = 0.3


class EnrolmentError(ValueError):
    """A photo cannot be enrolled; ``str(error)`` is a one-line message for users.

    ``reason`` says why in a word: ``"no_face"`` or ``"several_faces"``.
    """

    def __init__(self, message: str, reason: str = "no_face") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class PreparedSample:
    """A sample ready to be stored: embedding, JPEG thumbnail, where it came from, quality.

    ``quality`` holds the figures of :func:`~faceapp.core.quality.assess_face` on the
    face in its frame (None when not measured).
    """

    embedding: np.ndarray
    thumbnail: bytes
    source: str
    face: Face
    quality: QualityFigures | None = None

    def stored(self) -> tuple[np.ndarray, bytes, str, QualityFigures | None]:
        """Return the item :meth:`GalleryStore.add_samples` stores for this sample."""
        return self.embedding, self.thumbnail, self.source, self.quality


def thumbnail_of(frame: np.ndarray, face: Face, size: int = THUMBNAIL_SIZE) -> bytes:
    """Return a square JPEG thumbnail of ``face`` in a BGR ``frame``."""
    import cv2

    m = box_matrix(face, size, margin=THUMBNAIL_MARGIN)
    crop = cv2.warpAffine(
        frame, m, (size, size), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE
    )
    return encode_jpeg(crop, quality=85)


def choose_face(faces: list[Face], largest: bool, name: str) -> Face:
    """Return the one face to enrol from a photo.

    Raises
    ------
    EnrolmentError
        No face, or several faces without ``largest``.
    """
    if not faces:
        raise EnrolmentError(f"{name}: no face found in this photo")
    if len(faces) > 1 and not largest:
        raise EnrolmentError(
            f"{name}: {len(faces)} faces found; use a photo with one face "
            "(or --largest to take the largest)",
            "several_faces",
        )
    face = largest_face(faces)
    assert face is not None
    return face


def sample_of(
    pipeline: FacePipeline,
    frame: np.ndarray,
    face: Face,
    source: str,
    quality: QualityFigures | None = None,
) -> PreparedSample:
    """Embed ``face`` of a BGR ``frame``, with its thumbnail and quality figures.

    ``quality`` is :func:`~faceapp.core.quality.assess_face`'s figures of this very
    ``face`` in this ``frame`` when the caller measured them already; they are
    measured here otherwise (once per face).
    """
    embedding = pipeline.embed(frame, [face])[0]
    if quality is None:
        quality = assess_face(frame, face).figures
    return PreparedSample(embedding, thumbnail_of(frame, face), source, face, quality)


def prepare_sample(
    pipeline: FacePipeline, frame: np.ndarray, source: str, largest: bool = False
) -> PreparedSample:
    """Detect, choose and embed the face in ``frame``.

    Raises
    ------
    EnrolmentError
        When the photo has no usable face (see :func:`choose_face`).
    """
    face = choose_face(pipeline.detect(frame), largest, source)
    return sample_of(pipeline, frame, face, source)
