"""Landmark geometry for the liveness check: where the nose sits in the eye/mouth frame."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from faceapp.core.types import Point

#: Where the four reference points sit in a frontal face, in eye-distance units:
#: eye on the image's left, eye on the image's right, mouth corner on the image's left,
#: mouth corner on the image's right (the mean MTCNN layout of frontal LFW faces).
#: The nose of a frontal face lands near ``(0, 0.59)``.
FRONTAL_LAYOUT = np.array([[-0.5, 0.0], [0.5, 0.0], [-0.45, 1.06], [0.45, 1.06]])

#: Smallest distance between the eyes, in pixels, at which the landmarks are trusted.
MIN_EYE_DISTANCE = 10.0

#: Nose offsets beyond this (eye-distances) are landmark failures, not poses.
MAX_OFFSET = 1.5


def homography(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Return the 3x3 projective transform that maps four points onto four others.

    Parameters
    ----------
    src, dst : ndarray, shape (4, 2)
        Corresponding points, no three of them on one line.

    Returns
    -------
    ndarray, shape (3, 3), float64
        ``H`` with ``H[2, 2] == 1`` such that ``dst ~ H @ [x, y, 1]`` for each point.

    Raises
    ------
    ValueError
        When the points are degenerate (three on a line, or repeated).
    """
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    if src.shape != (4, 2) or dst.shape != (4, 2):
        raise ValueError("homography needs exactly four (x, y) points on each side")
    rows = []
    for (x, y), (u, v) in zip(src, dst):
        rows.append([x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y])
        rows.append([0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y])
    a = np.array(rows)
    if np.linalg.cond(a) > 1e10:
        raise ValueError("degenerate points: three of them lie on one line")
    h = np.linalg.solve(a, dst.ravel())
    return np.append(h, 1.0).reshape(3, 3)


def apply_homography(h: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Return ``points`` (shape ``(n, 2)``) mapped by the 3x3 transform ``h``."""
    p = np.asarray(points, np.float64).reshape(-1, 2)
    q = np.c_[p, np.ones(len(p))] @ np.asarray(h, np.float64).T
    return q[:, :2] / q[:, 2:3]


def _normalised(landmarks: Sequence[Point]) -> np.ndarray | None:
    """Landmarks centred on the eye/mouth quadrilateral, in eye-distance units; None if unusable."""
    p = np.asarray(landmarks, np.float64)
    if p.shape != (5, 2) or not np.isfinite(p).all():
        return None
    eyes = float(np.linalg.norm(p[1] - p[0]))
    if eyes < MIN_EYE_DISTANCE:
        return None
    quad = p[[0, 1, 4, 3]]  # walk round the quadrilateral: eyes, then mouth right to left
    edges = np.roll(quad, -1, axis=0) - quad
    turns = (
        edges[:, 0] * np.roll(edges, -1, axis=0)[:, 1]
        - edges[:, 1] * np.roll(edges, -1, axis=0)[:, 0]
    )
    if not ((turns > 0).all() or (turns < 0).all()):
        return None  # not a convex quadrilateral: a landmark is off (or eyes and mouth swapped)
    if turns[0] < 0:
        return None  # mirrored or upside-down layout (y grows downwards in images)
    return (p - p[[0, 1, 3, 4]].mean(axis=0)) / eyes


def nose_offset(landmarks: Sequence[Point]) -> tuple[float, float] | None:
    """Return where the nose lies relative to the eyes and mouth corners, free of any plane's view.

    The one homography that takes the two eyes and two mouth corners onto
    :data:`FRONTAL_LAYOUT` is applied to the nose.  The result does not change when the
    five points are seen through any other homography, which is what moving, rotating,
    scaling or tilting a flat picture does; it changes when a real head turns (or nods),
    because the nose stands out of the plane of the other four points.

    Parameters
    ----------
    landmarks : sequence of five (x, y) points
        In :class:`~faceapp.core.types.Face` order (image-left eye, image-right eye, nose,
        image-left mouth corner, image-right mouth corner), in pixels.

    Returns
    -------
    tuple of float or None
        ``(x, y)`` in eye-distance units of the frontal layout: ``x`` is about 0 for a
        frontal face, positive when the nose is towards the image's right (the person
        turned to their left), about 0.012 per degree of yaw; ``y`` is about 0.59 and
        grows when the head nods down.  None when the landmarks are unusable: eyes closer
        than :data:`MIN_EYE_DISTANCE` pixels, a non-convex or mirrored quadrilateral, or a
        nose further than :data:`MAX_OFFSET` from the middle.
    """
    p = _normalised(landmarks)
    if p is None:
        return None
    try:
        h = homography(p[[0, 1, 3, 4]], FRONTAL_LAYOUT)
    except (ValueError, np.linalg.LinAlgError):
        return None
    x, y = apply_homography(h, p[2:3])[0]
    if not (abs(x) <= MAX_OFFSET and abs(y - 0.59) <= MAX_OFFSET):
        return None
    return float(x), float(y)


def nose_parallax(first: Sequence[Point], second: Sequence[Point]) -> float | None:
    """Return how far the nose strays from where a flat picture would put it, between two views.

    Fits the homography that takes ``first``'s eyes and mouth corners onto ``second``'s,
    moves ``first``'s nose with it, and measures the distance to ``second``'s nose.  For
    two views of a flat picture this is detector noise; for a head that turned it grows
    with the turn.

    Parameters
    ----------
    first, second : sequence of five (x, y) points
        Landmarks of the same face in two frames, in pixels.

    Returns
    -------
    float or None
        Distance in ``second``'s eye-distances, or None when either set of landmarks is
        unusable (see :func:`nose_offset`).
    """
    a, b = _normalised(first), _normalised(second)
    if a is None or b is None:
        return None
    try:
        h = homography(a[[0, 1, 3, 4]], b[[0, 1, 3, 4]])
    except (ValueError, np.linalg.LinAlgError):
        return None
    return float(np.linalg.norm(apply_homography(h, a[2:3])[0] - b[2]))


def foreshortening(reference: Sequence[Point], current: Sequence[Point]) -> float | None:
    """Return how much the eye/mouth quadrilateral got squashed one way since ``reference``.

    The least-squares affine map between the two quadrilaterals is split into its two
    stretch factors; the answer is ``1 - smaller / larger``: 0 for a face that only moved,
    turned in the image plane or changed size, about ``1 - cos(angle)`` for a head (or a
    picture) turned by ``angle`` away from the camera.

    Returns
    -------
    float or None
        In ``[0, 1)``; None when either set of landmarks is unusable.
    """
    a, b = _normalised(reference), _normalised(current)
    if a is None or b is None:
        return None
    qa, qb = a[[0, 1, 3, 4]], b[[0, 1, 3, 4]]
    m, *_ = np.linalg.lstsq(np.c_[qa, np.ones(4)], qb, rcond=None)
    s = np.linalg.svd(m[:2], compute_uv=False)
    return float(1.0 - s[-1] / s[0]) if s[0] > 0 else None


#: Side, in pixels, of the face patch :func:`face_patch` cuts out.
PATCH_SIZE = 32


def face_patch(frame: np.ndarray, landmarks: Sequence[Point]) -> np.ndarray | None:
    """Return the face cut out along its eyes, small, grey and normalised, to compare frames.

    The similarity transform that puts the eyes level, :data:`PATCH_SIZE` / 3 pixels
    apart, a third of the way down the patch, is applied to ``frame``; the patch (the
    face from brow to chin, cheek to cheek) is blurred a little, then has its mean
    removed and its norm set to 1, so :func:`patch_resemblance` is a correlation that
    ignores brightness and contrast.

    Parameters
    ----------
    frame : ndarray
        The BGR (or grey) image the landmarks were found in.
    landmarks : five (x, y) points
        :class:`~faceapp.core.types.Face` order, pixels.

    Returns
    -------
    ndarray, shape (PATCH_SIZE, PATCH_SIZE), float32, or None
        None when the landmarks are unusable or the patch has no texture.
    """
    import cv2

    p = np.asarray(landmarks, np.float64)
    if p.shape != (5, 2) or not np.isfinite(p).all():
        return None
    left, right = p[0], p[1]
    eyes = float(np.linalg.norm(right - left))
    if eyes < MIN_EYE_DISTANCE:
        return None
    n = PATCH_SIZE
    scale = (n / 3) / eyes
    angle = np.arctan2(right[1] - left[1], right[0] - left[0])
    c, s = scale * np.cos(-angle), scale * np.sin(-angle)
    mid = (left + right) / 2
    m = np.array([[c, -s, 0.0], [s, c, 0.0]])
    m[:, 2] = np.array([n / 2, n / 3]) - m[:, :2] @ mid
    grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    patch = cv2.warpAffine(grey, m, (n, n), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
    patch = cv2.GaussianBlur(patch.astype(np.float32), (0, 0), 1.0)
    patch -= patch.mean()
    norm = float(np.linalg.norm(patch))
    if norm < 1e-3 * n * n:
        return None
    return np.asarray(patch / norm, np.float32)


def patch_resemblance(a: np.ndarray, b: np.ndarray) -> float:
    """Return the correlation of two :func:`face_patch` patches, in ``[-1, 1]`` (1: the same)."""
    return float(np.sum(a * b))


def nose_depth(
    reference: Sequence[Point], current: Sequence[Point], reference_offset: float
) -> float | None:
    """Return how far the nose stands out of the face, judged from one view against a frontal one.

    A rigid head turned by ``yaw`` squashes its eye/mouth quadrilateral across by about
    ``cos(yaw)`` (:func:`foreshortening`) while its nose moves across it by about
    ``depth * sin(yaw)`` (:func:`nose_offset`).  Both are read off the landmarks; the
    ratio is the depth, in the units of :func:`nose_offset`.  A bent or folded picture
    has to be turned much further than a head to move its nose as far, so it shows much
    more squashing for the same nose movement, and a much smaller depth.

    Parameters
    ----------
    reference : five (x, y) points
        Landmarks of the same face facing the camera.
    current : five (x, y) points
        Landmarks of the face now.
    reference_offset : float
        The nose offset ``x`` of the frontal view.

    Returns
    -------
    float or None
        The depth (a real head: about 0.5 to 1, see ``docs/liveness.md``; ``inf`` when
        the face moved its nose without any squashing); None when either view is unusable.
    """
    squash = foreshortening(reference, current)
    now = nose_offset(current)
    if squash is None or now is None:
        return None
    moved = abs(now[0] - reference_offset)
    sin_yaw = float(np.sqrt(max(0.0, 1.0 - (1.0 - squash) ** 2)))
    return float("inf") if sin_yaw < 1e-6 else moved / sin_yaw
