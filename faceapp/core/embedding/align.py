"""Cropping a detected face to the embedder's square input (5-point similarity or box)."""

from __future__ import annotations

from typing import Literal

import numpy as np

from faceapp.core.types import Face

AlignMethod = Literal["similarity", "box"]

#: Default method, chosen by LFW accuracy (see ``docs/accuracy.md``).
DEFAULT_METHOD: AlignMethod = "similarity"

#: Margin of the box crop: the detector's box is grown by this fraction of its larger side
#: in total (half on each side).  0.32 of a typical 100 px LFW box is the 32 px margin used
#: when the FaceNet weights were evaluated.
BOX_MARGIN = 0.32

#: Where the five landmarks (left eye, right eye, nose, left and right mouth corner) land
#: in a 160 x 160 similarity-aligned crop, in pixels.  Measured as the mean landmark
#: layout inside box-plus-margin crops, so that both methods show the network faces at
#: the same scale and position it was trained on (see ``docs/accuracy.md``).
TEMPLATE_160 = np.array(
    [[54.7, 65.8], [105.0, 65.8], [80.0, 94.0], [58.9, 122.3], [101.4, 122.3]],
    dtype=np.float64,
)


def _similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Return the 2x3 least-squares similarity transform taking ``src`` onto ``dst`` (Umeyama)."""
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    cov = dst_c.T @ src_c / len(src)
    u, s, vt = np.linalg.svd(cov)
    d = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[1] = -1.0
    rot = u @ np.diag(d) @ vt
    var = (src_c**2).sum() / len(src)
    scale = float((s * d).sum() / var) if var > 0 else 1.0
    m = np.empty((2, 3))
    m[:, :2] = scale * rot
    m[:, 2] = dst_mean - scale * rot @ src_mean
    return m


def similarity_matrix(
    face: Face, size: int = 160, template: np.ndarray = TEMPLATE_160
) -> np.ndarray:
    """Return the 2x3 affine matrix mapping frame pixels to the aligned ``size`` crop.

    ``template`` gives the five landmark positions in a 160 x 160 crop (scaled to ``size``).
    """
    src = np.asarray(face.landmarks, dtype=np.float64)
    return _similarity(src, np.asarray(template, dtype=np.float64) * (size / 160.0))


def box_matrix(face: Face, size: int = 160, margin: float = BOX_MARGIN) -> np.ndarray:
    """Return the 2x3 affine matrix of the square box-plus-margin crop.

    The box is made square around its centre (side = larger side x (1 + margin)).
    """
    cx, cy = face.box.center
    side = max(face.box.w, face.box.h) * (1.0 + margin)
    s = size / max(side, 1e-6)
    return np.array([[s, 0.0, size / 2.0 - s * cx], [0.0, s, size / 2.0 - s * cy]])


def align_face(
    frame: np.ndarray,
    face: Face,
    size: int = 160,
    method: AlignMethod = DEFAULT_METHOD,
    template: np.ndarray = TEMPLATE_160,
) -> np.ndarray:
    """Return the face as a ``size`` x ``size`` RGB uint8 crop for the embedder.

    Parameters
    ----------
    frame : ndarray, shape (h, w, 3), uint8
        BGR frame the face was detected in.
    face : Face
        The detection (box and landmarks in ``frame`` pixels).
    size : int
        Output side in pixels.
    method : {"similarity", "box"}
        ``"similarity"`` rotates, scales and shifts so the five landmarks fit
        ``template``; ``"box"`` crops the detector box plus margin, unrotated.
    template : ndarray, shape (5, 2)
        Landmark positions (x, y) in a 160 x 160 crop for ``"similarity"``, in the order
        of :data:`TEMPLATE_160` (the default, which the app always uses).

    Returns
    -------
    ndarray, shape (size, size, 3), uint8, RGB
        Pixels outside the frame are filled by replicating the border.
    """
    import cv2

    if method == "similarity":
        m = similarity_matrix(face, size, template)
    elif method == "box":
        m = box_matrix(face, size)
    else:
        raise ValueError(f"unknown alignment method {method!r}")
    scale = float(np.sqrt(abs(np.linalg.det(m[:, :2]))))
    interp = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
    if scale < 0.5:
        # Shrinking a lot: pre-blur via area resampling of the region for fewer aliasing artefacts.
        inv = cv2.invertAffineTransform(m)
        corners = inv @ np.array([[0, 0, 1], [size, 0, 1], [0, size, 1], [size, size, 1]]).T
        x0, y0 = np.floor(corners.min(axis=1)).astype(int)
        x1, y1 = np.ceil(corners.max(axis=1)).astype(int)
        h, w = frame.shape[:2]
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if x1 - x0 > 1 and y1 - y0 > 1:
            region = frame[y0:y1, x0:x1]
            f = 2.0 * scale
            small = cv2.resize(region, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
            fx, fy = small.shape[1] / region.shape[1], small.shape[0] / region.shape[0]
            shift = np.array([[1 / fx, 0, x0], [0, 1 / fy, y0]])
            m = m @ np.vstack([shift, [0, 0, 1]])
            frame = small
            interp = cv2.INTER_LINEAR
    crop = cv2.warpAffine(frame, m, (size, size), flags=interp, borderMode=cv2.BORDER_REPLICATE)
    return np.ascontiguousarray(crop[..., ::-1])
