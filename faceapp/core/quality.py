"""Enrolment quality check of one detected face: size, sharpness and pose, with reasons."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from faceapp.core.types import Face

#: Smallest accepted face, in pixels: the shorter side of the detector's box.
MIN_FACE_PX = 80.0

#: Side, in pixels, of the square the face crop is resized to before measuring sharpness,
#: so that the measure does not depend on how large the face is in the frame.
SHARPNESS_SIDE = 128

#: Smallest accepted sharpness (variance of the Laplacian of the resized grey crop).
#: Calibrated on the 5-celebrity photos letterboxed to 640x480 as the demo shows them
#: (``tests/core/test_quality.py``): every face of at least ``MIN_FACE_PX`` measures
#: 27 or more (median 170), while the same faces blurred with a Gaussian of sigma = 3 %
#: of the face width measure 15 or less.
MIN_SHARPNESS = 20.0

#: Largest accepted left/right asymmetry of the nose between the eyes, in ``[0, 1]``:
#: 0 when the nose projects onto the midpoint of the eyes (frontal), 1 when it projects
#: onto an eye (a face seen in profile).  On the 5-celebrity photos, faces up to 0.4 look
#: at the camera with a slight turn, faces from 0.6 are clearly turned away.
MAX_YAW_RATIO = 0.5

#: Largest accepted in-plane tilt of the eye line, in degrees.
MAX_ROLL_DEG = 25.0


@dataclass(frozen=True)
class QualityCheck:
    """One check of :func:`assess_face`: what it measured, the limit, and the verdict.

    Parameters
    ----------
    label : str
        What is checked, for users ("Size", "Sharpness", ...).
    measured : str
        The measured value, formatted for users.
    limit : str
        The rule, formatted for users ("at least 80 px").
    ok : bool
        True when the value passes the check.
    """

    label: str
    measured: str
    limit: str
    ok: bool


@dataclass(frozen=True)
class QualityFigures:
    """The measurements behind a :class:`QualityReport`, without the verdicts.

    What is stored with a gallery sample; :func:`judge` turns them into a report.

    Parameters
    ----------
    size_px : float
        Shorter side of the face box, in pixels.
    sharpness : float
        Variance of the Laplacian of the resized face crop.
    yaw_ratio : float
        Nose asymmetry between the eyes, ``[0, 1]``; 0 is frontal.
    roll_deg : float
        Tilt of the eye line from horizontal, in degrees, signed.
    """

    size_px: float
    sharpness: float
    yaw_ratio: float
    roll_deg: float


@dataclass(frozen=True)
class QualityReport:
    """Whether a face is good enough to enrol, and what to fix when it is not.

    Parameters
    ----------
    ok : bool
        True when there are no problems.
    problems : tuple of str
        One sentence per problem, saying what the user should do; empty when ``ok``.
    size_px : float
        Shorter side of the face box, in pixels (see :data:`MIN_FACE_PX`).
    sharpness : float
        Variance of the Laplacian of the face crop (see :data:`MIN_SHARPNESS`).
    yaw_ratio : float
        Nose asymmetry between the eyes, ``[0, 1]``; 0 is frontal (see
        :data:`MAX_YAW_RATIO`).
    roll_deg : float
        Tilt of the eye line from horizontal, in degrees, signed.
    checks : tuple of QualityCheck
        Every check with its verdict, in order; ``ok`` is True when all pass.
    """

    ok: bool
    problems: tuple[str, ...]
    size_px: float
    sharpness: float
    yaw_ratio: float
    roll_deg: float = 0.0
    checks: tuple[QualityCheck, ...] = ()

    @property
    def figures(self) -> QualityFigures:
        """The measured values alone (what a gallery sample stores)."""
        return QualityFigures(self.size_px, self.sharpness, self.yaw_ratio, self.roll_deg)


def face_size_px(face: Face) -> float:
    """Return the shorter side of ``face``'s box, in pixels."""
    return float(min(face.box.w, face.box.h))


def face_sharpness(frame_bgr: np.ndarray, face: Face) -> float:
    """Return the variance of the Laplacian of the face crop, resized to a fixed size.

    Parameters
    ----------
    frame_bgr : ndarray, shape (h, w, 3), uint8, BGR
        The frame the face was detected in.
    face : Face
        The face; its box is clipped to the frame.

    Returns
    -------
    float
        ``>= 0``; larger is sharper.  0 when the box lies outside the frame.
    """
    import cv2

    h, w = frame_bgr.shape[:2]
    x0, y0, x1, y1 = (
        max(0, int(face.box.x)),
        max(0, int(face.box.y)),
        min(w, int(math.ceil(face.box.x2))),
        min(h, int(math.ceil(face.box.y2))),
    )
    if x1 - x0 < 2 or y1 - y0 < 2:
        return 0.0
    crop = frame_bgr[y0:y1, x0:x1]
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    shrinking = max(gray.shape) > SHARPNESS_SIDE
    interp = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    gray = cv2.resize(gray, (SHARPNESS_SIDE, SHARPNESS_SIDE), interpolation=interp)
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


def face_turn(face: Face) -> tuple[float, float]:
    """Return ``(turn, roll_deg)``: the signed yaw ratio and the roll, from the landmarks.

    The nose tip is projected onto the line through the eyes; ``turn`` is how far the
    projection lies from the eyes' midpoint, as a fraction of half the eye distance,
    clipped to ``[-1, 1]``: 0 frontal, positive when the nose lies towards the image's
    right (in an unmirrored camera picture: the person turned to their left), negative
    towards the image's left.  Projecting onto the eye line makes it insensitive to
    in-plane rotation, which ``roll_deg`` (tilt of the eye line, degrees, signed)
    reports separately.  A face with coincident eyes gives ``(1.0, 0.0)``.
    """
    (lx, ly), (rx, ry), (nx, ny) = face.landmarks[0], face.landmarks[1], face.landmarks[2]
    ex, ey = rx - lx, ry - ly
    eye_sq = ex * ex + ey * ey
    if eye_sq <= 1e-6:
        return 1.0, 0.0
    t = ((nx - lx) * ex + (ny - ly) * ey) / eye_sq
    turn = max(-1.0, min(1.0, (t - 0.5) * 2.0))
    roll = math.degrees(math.atan2(ey, ex))
    return float(turn), float(roll)


def face_pose(face: Face) -> tuple[float, float]:
    """Return ``(yaw_ratio, roll_deg)``: :func:`face_turn` with the turn's sign dropped.

    ``yaw_ratio`` is in ``[0, 1]``: 0 frontal, 1 when the nose projects onto an eye.
    """
    turn, roll = face_turn(face)
    return abs(turn), roll


def assess_face(frame_bgr: np.ndarray, face: Face) -> QualityReport:
    """Check whether ``face`` is good enough to enrol.

    Parameters
    ----------
    frame_bgr : ndarray, shape (h, w, 3), uint8, BGR
        The frame the face was detected in.
    face : Face
        A detected face with its five landmarks.

    Returns
    -------
    QualityReport
        ``ok`` with no problems, or the problems phrased as what to do about them.
    """
    yaw, roll = face_pose(face)
    return judge(QualityFigures(face_size_px(face), face_sharpness(frame_bgr, face), yaw, roll))


def judge(figures: QualityFigures) -> QualityReport:
    """Return the verdict on measured ``figures``: the checks and problems of :func:`assess_face`.

    Used for figures measured earlier (stored with a sample), so that they are judged by
    today's limits.
    """
    size, sharp, yaw, roll = figures.size_px, figures.sharpness, figures.yaw_ratio, figures.roll_deg
    checks = (
        QualityCheck("Size", f"{size:.0f} px", f"at least {MIN_FACE_PX:.0f}", size >= MIN_FACE_PX),
        QualityCheck(
            "Sharpness", f"{sharp:.0f}", f"at least {MIN_SHARPNESS:.0f}", sharp >= MIN_SHARPNESS
        ),
        QualityCheck(
            "Facing the camera",
            f"turn {yaw:.2f}",
            f"at most {MAX_YAW_RATIO:.2f}",
            yaw <= MAX_YAW_RATIO,
        ),
        QualityCheck(
            "Head upright",
            f"tilt {abs(roll):.0f}°",
            f"at most {MAX_ROLL_DEG:.0f}°",
            abs(roll) <= MAX_ROLL_DEG,
        ),
    )
    problems = []
    if size < MIN_FACE_PX:
        problems.append(
            f"Move closer: the face is {size:.0f} px across and needs at least"
            f" {MIN_FACE_PX:.0f} px."
        )
    if sharp < MIN_SHARPNESS:
        problems.append(
            "Hold still and check the focus and light: the face is blurred"
            f" (sharpness {sharp:.0f}, needs {MIN_SHARPNESS:.0f})."
        )
    if yaw > MAX_YAW_RATIO:
        problems.append("Look straight at the camera: the face is turned to the side.")
    if abs(roll) > MAX_ROLL_DEG:
        problems.append(f"Hold the head upright: it is tilted by {abs(roll):.0f} degrees.")
    return QualityReport(not problems, tuple(problems), size, sharp, yaw, roll, checks)
