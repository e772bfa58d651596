"""The face's own texture in the liveness check: the nose must stand out of both cheeks' planes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from faceapp.core.liveness.geometry import MIN_EYE_DISTANCE
from faceapp.core.types import Point

#: The face is tracked in a copy of its region scaled so its eyes are this many pixels
#: apart (at most :data:`UPSCALE` times larger: a small face is enlarged, a large one
#: reduced, so the work is about the same whatever the camera's resolution).
TRACK_EYES = 64.0
#: Largest enlargement of a small face.
UPSCALE = 2.0

#: Points at least this far (eye-distances) from the line through the nose along the
#: face make its two halves, whose motion is fitted with one homography each.
SPLIT_BAND = 0.3

#: Points closer than this (eye-distances) to the line through the nose, between the
#: eyes and the mouth, are the nose's band: where a head stands out and a fold is flat.
NOSE_BAND = 0.2

#: Fewest tracked points a half of the face needs (and the nose's band needs half of it).
MIN_POINTS = 6

#: ``cv2.goodFeaturesToTrack``'s quality level, and the points' spacing (eye-distances).
CORNER_QUALITY = 0.001
CORNER_SPACING = 1 / 20

#: Largest forward-backward tracking error (pixels of the scaled copy) of a kept point.
MAX_TRACK_ERROR = 1.0


def _grey(frame: np.ndarray) -> np.ndarray:
    import cv2

    return frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


def nose_relief(
    start: np.ndarray,
    now: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    band: np.ndarray,
) -> float | None:
    """Return how far the nose's points moved off both halves' planes, in pixels.

    One homography is fitted to each half of the face (least median of squares,
    ``cv2.findHomography`` with ``LMEDS``: half of a half's points may be tracking
    failures).  Each point of the nose's band is moved with both; its residual is the
    smaller of the two distances to where it was tracked; the answer is the median over
    the band.  A flat print, or one folded along the nose, is one plane on each side of
    the fold, and the fold line lies on both: every point is where one of the two
    homographies puts it, whatever the turn (the answer is the tracking noise).  A
    head's nose stands in front of both cheeks, so its points stray from both planes
    by about the nose's height times the sine of the turn.

    Parameters
    ----------
    start, now : ndarray, shape (n, 2)
        The same points in the frontal frame and now.
    left, right, band : ndarray of bool, shape (n,)
        Which points are in the image-left half, the image-right half, the nose's band.

    Returns
    -------
    float or None
        None when a half has fewer than :data:`MIN_POINTS` points, the band fewer than
        half of that, or a homography cannot be fitted.
    """
    import cv2

    start = np.asarray(start, np.float32).reshape(-1, 2)
    now = np.asarray(now, np.float32).reshape(-1, 2)
    if band.sum() < max(3, MIN_POINTS // 2):
        return None
    fits = []
    for half in (left, right):
        if half.sum() < MIN_POINTS:
            return None
        h, _ = cv2.findHomography(start[half], now[half], cv2.LMEDS)
        if h is None:
            return None
        fits.append(h)
    a, b = start[band].reshape(-1, 1, 2), now[band]
    off = [np.linalg.norm(cv2.perspectiveTransform(a, h).reshape(-1, 2) - b, axis=1) for h in fits]
    return float(np.median(np.minimum(off[0], off[1])))


class FaceSurface:
    """Follows points of the face's texture from a frontal frame and measures the nose's relief.

    :meth:`seed` picks corners (``cv2.goodFeaturesToTrack``) inside the face of a frame
    facing the camera and sorts them into the image-left half, the image-right half
    (at least :data:`SPLIT_BAND` from the line through the nose) and the nose's band
    (within :data:`NOSE_BAND` of it, between eyes and mouth); :meth:`track` follows them
    into each later frame (pyramidal Lucas-Kanade, checked forwards and backwards);
    :meth:`relief` is :func:`nose_relief` between the seed frame and now, in
    eye-distances.

    A printed photo, flat or folded along the nose, is one plane on each side: its
    relief stays at the tracking noise however far it is turned.  A head's nose stands
    out of both cheeks' planes, so its relief grows as it turns.

    Notes
    -----
    Holds only small grey copies of the face region (never the frames it is given).
    Not thread-safe; pure OpenCV and NumPy.
    """

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Forget the seed frame and every tracked point."""
        self._roi: tuple[int, int, int, int] | None = None
        self._scale = 1.0
        self._eyes = 0.0
        self._prev: np.ndarray | None = None
        self._start = np.empty((0, 2), np.float32)
        self._now = np.empty((0, 2), np.float32)
        self._left = np.empty(0, bool)
        self._right = np.empty(0, bool)
        self._band = np.empty(0, bool)
        self.seed_offset: float | None = None
        #: True when the last :meth:`seed` found no corner at all in the face (a picture
        #: with no texture, as synthetic test frames are; every camera frame has some).
        self.textureless = False

    @property
    def seeded(self) -> bool:
        """True while points are followed from a seed frame."""
        return self._prev is not None

    def _crop(self, frame: np.ndarray) -> np.ndarray | None:
        import cv2

        assert self._roi is not None
        x0, y0, x1, y1 = self._roi
        h, w = frame.shape[:2]
        if x1 > w or y1 > h:
            return None
        grey = _grey(frame[y0:y1, x0:x1])
        if self._scale != 1.0:
            size = (round((x1 - x0) * self._scale), round((y1 - y0) * self._scale))
            grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
        return np.ascontiguousarray(grey)

    def seed(self, frame: np.ndarray, landmarks: Sequence[Point], offset: float = 0.0) -> bool:
        """Start following the face of ``frame`` (facing the camera); return True on success.

        Parameters
        ----------
        frame : ndarray
            BGR (or grey) image.
        landmarks : five (x, y) points
            The face's landmarks in ``frame``.
        offset : float
            The face's nose offset, kept as :attr:`seed_offset`.
        """
        import cv2

        self.clear()
        p = np.asarray(landmarks, np.float64)
        if p.shape != (5, 2) or not np.isfinite(p).all():
            return False
        eyes = float(np.linalg.norm(p[1] - p[0]))
        if eyes < MIN_EYE_DISTANCE:
            return False
        h, w = frame.shape[:2]
        lo, hi = p.min(axis=0) - 1.5 * eyes, p.max(axis=0) + 1.5 * eyes
        x0, y0 = max(0, int(lo[0])), max(0, int(lo[1]))
        x1, y1 = min(w, int(np.ceil(hi[0]))), min(h, int(np.ceil(hi[1])))
        if x1 - x0 < 16 or y1 - y0 < 16:
            return False
        self._roi = (x0, y0, x1, y1)
        self._scale = min(UPSCALE, TRACK_EYES / eyes)
        grey = self._crop(frame)
        if grey is None:
            self.clear()
            return False
        q = (p - [x0, y0]) * self._scale
        e = eyes * self._scale
        # The face: an ellipse from above the brows to below the mouth, cheek to cheek.
        mask = np.zeros(grey.shape, np.uint8)
        centre = (q[0] + q[1] + q[3] + q[4]) / 4
        height = float(np.linalg.norm(q[3] + q[4] - q[0] - q[1])) / 2  # eyes to mouth
        axes = (int(1.05 * e), int(height / 2 + 0.75 * e))
        cv2.ellipse(mask, (int(centre[0]), int(centre[1])), axes, 0, 0, 360, 255, -1)
        corners = cv2.goodFeaturesToTrack(
            grey,
            maxCorners=400,
            qualityLevel=CORNER_QUALITY,
            minDistance=max(1.5, e * CORNER_SPACING),
            mask=mask,
        )
        if corners is None or len(corners) == 0:
            self.clear()
            self.textureless = True
            return False
        pts = corners.reshape(-1, 2).astype(np.float32)
        # The vertical line through the nose, along the face's own axis.
        axis = (q[3] + q[4]) / 2 - (q[0] + q[1]) / 2
        axis /= max(float(np.linalg.norm(axis)), 1e-6)
        across = np.array([-axis[1], axis[0]])  # towards the image's left for an upright face
        side = (pts - q[2]) @ across
        down = (pts - (q[0] + q[1]) / 2) @ axis
        length = float(np.linalg.norm((q[3] + q[4]) / 2 - (q[0] + q[1]) / 2))
        band = (np.abs(side) < NOSE_BAND * e) & (down > 0.15 * length) & (down < 0.85 * length)
        half = np.abs(side) >= SPLIT_BAND * e
        keep = band | half
        self._start, self._now = pts[keep], pts[keep].copy()
        self._left = (side[keep] > 0) & half[keep]
        self._right = (side[keep] < 0) & half[keep]
        self._band = band[keep]
        self._prev, self._eyes, self.seed_offset = grey, e, offset
        return True

    def track(self, frame: np.ndarray) -> bool:
        """Follow the points into ``frame``; return False when they were lost (seed again)."""
        import cv2

        if self._prev is None:
            return False
        grey = self._crop(frame)
        if grey is None or grey.shape != self._prev.shape or len(self._now) == 0:
            self.clear()
            return False
        win = (15, 15)
        fwd, ok1, _ = cv2.calcOpticalFlowPyrLK(
            self._prev, grey, self._now, None, winSize=win, maxLevel=3
        )
        back, ok2, _ = cv2.calcOpticalFlowPyrLK(
            grey, self._prev, fwd, None, winSize=win, maxLevel=3
        )
        err = np.linalg.norm(back - self._now, axis=1)
        good = (ok1.ravel() == 1) & (ok2.ravel() == 1) & (err < MAX_TRACK_ERROR)
        self._start, self._now, self._left = self._start[good], fwd[good], self._left[good]
        self._right, self._band = self._right[good], self._band[good]
        self._prev = grey
        if len(self._now) < 2 * MIN_POINTS:
            self.clear()
            return False
        return True

    def relief(self) -> float | None:
        """Return :func:`nose_relief` since the seed frame, in eye-distances, or None.

        None while nothing is followed, or when too few points are left.
        """
        if self._prev is None:
            return None
        r = nose_relief(self._start, self._now, self._left, self._right, self._band)
        return None if r is None else r / self._eyes
