"""MTCNN's box maths in NumPy, following the ``mtcnn`` package's conventions."""

from __future__ import annotations

import numpy as np

from faceapp.core.detection.fast_mtcnn.networks import PIXEL_MEAN

#: Side of the square window P-Net classifies, in pyramid pixels, and its stride.
PNET_CELL = 12
PNET_STRIDE = 2

#: Smallest pyramid level side P-Net gives an output for (one window, thanks to the
#: padded pooling); the package fails on anything smaller.
PNET_MIN_SIDE = 11

#: Largest block of boxes compared at once by :func:`nms_keep` (bounds its memory).
_NMS_BLOCK = 2048


def scale_pyramid(
    height: int, width: int, min_face_size: float, scale_factor: float
) -> list[tuple[float, int, int]]:
    """Return the pyramid levels as ``(scale, level_height, level_width)``.

    The scales are the package's: ``(12 / min_face_size) * scale_factor ** k``, with as
    many levels as it takes the shorter side from its full size down to 12 pixels; a
    level's size is the frame's size times its scale, truncated. Levels with a side
    under :data:`PNET_MIN_SIDE` are left out (the package gives up on the whole frame
    when it meets one).
    """
    min_dim = min(width, height)
    if min_dim < PNET_CELL:
        return []
    count = round(-((np.log(min_dim / PNET_CELL) / np.log(scale_factor)) + 1))
    scales = (PNET_CELL / min_face_size) * scale_factor ** np.arange(max(count, 0))
    levels = []
    for scale in scales:
        h, w = (np.asarray([height, width]) * scale).astype(np.int64)
        if min(h, w) >= PNET_MIN_SIDE:
            levels.append((float(scale), int(h), int(w)))
    return levels


def nms_keep(boxes: np.ndarray, threshold: float, method: str = "union") -> np.ndarray:
    """Return the indices of the boxes the package's non-maximum suppression keeps.

    Box ``j`` is dropped when any box before it in the given order (not only the kept
    ones) overlaps it by more than ``threshold``.

    Parameters
    ----------
    boxes : ndarray, shape (n, 4)
        ``x1, y1, x2, y2``, best first.
    threshold : float
        Overlap above which the later box is dropped.
    method : {"union", "min"}
        Overlap is the intersection over the union, or over the smaller area.
    """
    n = len(boxes)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    x1, y1, x2, y2 = (boxes[:, i] for i in range(4))
    area = (x2 - x1) * (y2 - y1)
    dropped = np.zeros(n, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for start in range(0, n - 1, _NMS_BLOCK):
            rows = slice(start, min(start + _NMS_BLOCK, n - 1))
            iw = np.maximum(
                0.0,
                np.minimum(x2[rows, None], x2[None, start + 1 :])
                - np.maximum(x1[rows, None], x1[None, start + 1 :]),
            )
            ih = np.maximum(
                0.0,
                np.minimum(y2[rows, None], y2[None, start + 1 :])
                - np.maximum(y1[rows, None], y1[None, start + 1 :]),
            )
            inter = iw * ih
            if method == "union":
                denom = area[rows, None] + area[None, start + 1 :] - inter
            else:
                denom = np.minimum(area[rows, None], area[None, start + 1 :])
            over = inter / denom > threshold
            # Only earlier boxes count: row i may drop column j when i < j.
            over &= np.arange(rows.start, rows.stop)[:, None] < np.arange(start + 1, n)[None, :]
            dropped[start + 1 :] |= over.any(axis=0)
    return np.flatnonzero(~dropped)


def sort_best_first(scores: np.ndarray) -> np.ndarray:
    """Return the order that sorts ``scores`` from best to worst as the package does."""
    return np.argsort(scores)[::-1]


def square_boxes(boxes: np.ndarray) -> np.ndarray:
    """Return ``x1, y1, x2, y2`` boxes grown to squares about their centres (a copy)."""
    out = boxes.copy()
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    side = np.maximum(w, h)
    out[:, 0] = boxes[:, 0] + w * 0.5 - side * 0.5
    out[:, 1] = boxes[:, 1] + h * 0.5 - side * 0.5
    out[:, 2] = out[:, 0] + side
    out[:, 3] = out[:, 1] + side
    return out


def refine_boxes(boxes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Apply R-/O-Net box offsets (fractions of the box side plus one) to ``x1, y1, x2, y2``."""
    w = boxes[:, 2] - boxes[:, 0] + 1
    h = boxes[:, 3] - boxes[:, 1] + 1
    sizes = np.stack([w, h, w, h], axis=1).astype(np.float32)
    return boxes[:, :4] + (offsets.astype(np.float32) * sizes).astype(np.float64)


def face_probability(logits: np.ndarray) -> np.ndarray:
    """Return the softmax probability of the "face" class from (n, 2) logits, in float32."""
    logits = logits.astype(np.float32)
    top = logits.max(axis=1, keepdims=True)
    e = np.exp(logits - top)
    return e[:, 1] / (e[:, 0] + e[:, 1])


def crop_patches(planes: np.ndarray, width: int, boxes: np.ndarray, size: int) -> np.ndarray:
    """Cut and bilinearly resize box regions the way ``tf.image.crop_and_resize`` does.

    Parameters
    ----------
    planes : ndarray, shape (3, h * w), float32
        The image's channels, each flattened row by row.
    width : int
        Image width ``w``.
    boxes : ndarray, shape (n, 4)
        ``x1, y1, x2, y2`` in pixels; they may reach outside the image.
    size : int
        Side of the square patches.

    Returns
    -------
    ndarray, shape (n, 3, size, size), float32
        Channel-first patches; samples outside the image are 127.5 (the package's 0).
    """
    n = len(boxes)
    height = planes.shape[1] // width
    steps = np.arange(size, dtype=np.float32)

    def sample_points(lo: np.ndarray, hi: np.ndarray, extent: int) -> tuple[np.ndarray, ...]:
        # TensorFlow takes boxes normalised by the extent, in float32, and spans the
        # box with ``size`` samples over ``extent - 1`` pixels.
        a = (lo / extent).astype(np.float32)
        b = (hi / extent).astype(np.float32)
        span = np.float32(extent - 1)
        pos = a[:, None] * span + steps[None, :] * ((b - a) * span / np.float32(size - 1))[:, None]
        inside = (pos >= 0) & (pos <= span)
        low = np.floor(pos)
        frac = pos - low
        index = np.empty((2, n, size), dtype=np.intp)
        index[0] = np.clip(low, 0, extent - 1)
        index[1] = np.clip(np.ceil(pos), 0, extent - 1)
        return index, frac, inside

    ys, fy, inside_y = sample_points(boxes[:, 1], boxes[:, 3], height)
    xs, fx, inside_x = sample_points(boxes[:, 0], boxes[:, 2], width)
    ys *= width
    # Flat indices of the four neighbours: (top/bottom, left/right, box, row, column).
    flat = (ys[:, None, :, :, None] + xs[None, :, :, None, :]).reshape(-1)
    fx_b = fx[:, None, :]
    fy_b = fy[:, :, None]
    out = np.empty((n, 3, size, size), dtype=np.float32)
    for c in range(3):
        px = np.take(planes[c], flat).reshape(2, 2, n, size, size)
        upper, lower = px[0, 0], px[1, 0]
        upper += (px[0, 1] - upper) * fx_b
        lower += (px[1, 1] - lower) * fx_b
        upper += (lower - upper) * fy_b
        out[:, c] = upper
    outside = ~(inside_y[:, :, None] & inside_x[:, None, :])
    if outside.any():
        out.transpose(1, 0, 2, 3)[:, outside] = PIXEL_MEAN
    return out


def pnet_candidates(out: np.ndarray, scale: float, threshold: float) -> np.ndarray:
    """Turn one level's P-Net output into boxes in frame pixels, best first.

    Parameters
    ----------
    out : ndarray, shape (6, h', w')
        Box offsets (4) and class logits (2) per window.
    scale : float
        The level's scale.
    threshold : float
        Face probability a window must exceed.

    Returns
    -------
    ndarray, shape (n, 5)
        ``x1, y1, x2, y2, score`` of the windows above ``threshold``, their offsets
        applied as the package does (before scaling back to the frame).
    """
    # p > t  <=>  logit difference > log(t / (1 - t)); a small margin lets the exact
    # float32 probability decide at the border.
    if threshold >= 1.0:
        return np.zeros((0, 5))
    margin = float(np.log(threshold / (1.0 - threshold))) - 1e-3 if threshold > 0 else -np.inf
    ys, xs = np.nonzero(out[5] - out[4] > margin)
    scores = face_probability(np.stack([out[4, ys, xs], out[5, ys, xs]], axis=1))
    hit = scores > threshold
    ys, xs, scores = ys[hit], xs[hit], scores[hit]
    reg = out[:4, ys, xs].astype(np.float64)
    x0 = xs * PNET_STRIDE
    y0 = ys * PNET_STRIDE
    span = PNET_CELL - 1
    cand = np.stack(
        [
            x0 + 1 + reg[0] * span,
            y0 + 1 + reg[1] * span,
            x0 + PNET_CELL + reg[2] * span,
            y0 + PNET_CELL + reg[3] * span,
            scores.astype(np.float64),
        ],
        axis=1,
    ).reshape(-1, 5)
    cand = cand[sort_best_first(cand[:, 4])]
    cand[:, :4] /= scale
    return cand


def area_resize_from_integral(integral: np.ndarray, height: int, width: int) -> np.ndarray:
    """Return the image behind ``integral`` shrunk to (height, width) by pixel-area averaging.

    The same result as ``cv2.resize(..., interpolation=cv2.INTER_AREA)`` (and TensorFlow's
    "area" resize) up to float rounding, at a cost proportional to the output height
    rather than to the source size.

    Parameters
    ----------
    integral : ndarray, shape (H + 1, W + 1, 3), int32
        ``cv2.integral`` of the source image.
    height, width : int
        Output size, no larger than the source.

    Returns
    -------
    ndarray, shape (height, width, 3), float32
    """
    src_h, src_w = integral.shape[0] - 1, integral.shape[1] - 1
    sy, sx = src_h / height, src_w / width
    # The integral of a piecewise-constant image is bilinear between grid points.
    yb = np.minimum(np.arange(height + 1) * sy, src_h)
    y0 = np.minimum(yb.astype(np.intp), src_h - 1)
    fy = (yb - y0)[:, None, None]
    xb = np.minimum(np.arange(width + 1) * sx, src_w)
    x0 = np.minimum(xb.astype(np.intp), src_w - 1)
    fx = (xb - x0)[None, :, None]
    low = integral[y0]
    rows = low + fy * (integral[y0 + 1] - low)
    low = rows[:, x0]
    grid = low + fx * (rows[:, x0 + 1] - low)
    sums = grid[1:, 1:] - grid[:-1, 1:] - grid[1:, :-1] + grid[:-1, :-1]
    return (sums * (1.0 / (sy * sx))).astype(np.float32)
