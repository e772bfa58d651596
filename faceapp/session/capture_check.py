"""The capture check: a face's quality and, when good, its sample; the faces of a photo added."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from faceapp import enrolment
from faceapp.core.pipeline import FacePipeline
from faceapp.core.quality import QualityReport, assess_face
from faceapp.core.types import Face
from faceapp.enrolment import PreparedSample
from faceapp.session.live import EnrolItem

#: A captured face: the frame (BGR), the face and its quality check when there was one.
Shot = tuple[np.ndarray, Face, QualityReport | None]

#: Where a captured sample says it came from.
CAPTURE_SOURCE = "capture"


@dataclass(frozen=True)
class CheckedFace(QualityReport):
    """A quality report that carries the sample made of the same face in the same frame.

    Parameters
    ----------
    sample : PreparedSample or None
        The embedding, thumbnail and these quality figures, ready to store; None when
        the face is not good enough (nothing to store) or was not embedded.
    """

    sample: PreparedSample | None = field(default=None, compare=False, repr=False)


def check_capture(pipeline: FacePipeline, image: np.ndarray, face: Face) -> CheckedFace:
    """Check the quality of ``face`` in a BGR ``image``; embed it when the check passes.

    The capture dialog calls this off the GUI thread: pressing Enrol then hands the
    finished sample to the gallery queue, where it is screened and written in one
    operation (:meth:`~faceapp.session.enrol_jobs.EnrolJobs.store_checked`).  The
    embedder serialises its callers, so this may run beside the recognition thread.
    """
    report = assess_face(image, face)
    sample = None
    if report.ok:
        sample = enrolment.sample_of(pipeline, image, face, CAPTURE_SOURCE, report.figures)
    values = {f.name: getattr(report, f.name) for f in fields(QualityReport)}
    return CheckedFace(**values, sample=sample)


def checked_samples(reports: Sequence[QualityReport | None]) -> list[PreparedSample] | None:
    """Return the sample of each report, or None when one of them has none."""
    samples = [r.sample for r in reports if isinstance(r, CheckedFace)]
    if len(samples) != len(reports) or any(s is None for s in samples):
        return None
    return [s for s in samples if s is not None]


def capture_items(name: str, shots: Sequence[Shot]) -> list[EnrolItem]:
    """Return the enrolment items of captured faces ``(frame, face, report)``, named ``name``.

    Each keeps its quality figures (None without a report): the recognition thread
    makes the samples of these items when the reports carry none (:func:`checked_samples`).
    """
    return [
        EnrolItem(
            name, CAPTURE_SOURCE, image=image, face=face, quality=None if r is None else r.figures
        )
        for image, face, r in shots
    ]


def faces_in_photo(pipeline: FacePipeline, path: Path) -> tuple[np.ndarray, list[Face]]:
    """Return a photo file (BGR) and the faces found in it; call it off the GUI thread.

    Raises
    ------
    ImageError
        The file cannot be read as a picture.
    """
    from faceapp.core.images import load_image

    image = load_image(path)
    return image, pipeline.detect(image)
