"""Fast MTCNN: the ``mtcnn`` package's cascade and weights, run on OpenCV's DNN engine."""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from faceapp.core.images import as_bgr
from faceapp.core.types import Box, Face, Point

log = logging.getLogger(__name__)

#: Side of the square window P-Net classifies, in pyramid pixels, and its stride.
PNET_CELL = 12
PNET_STRIDE = 2

#: Smallest pyramid level side P-Net gives an output for (one window, thanks to the
#: padded pooling); the package fails on anything smaller.
PNET_MIN_SIDE = 11

#: IoU thresholds of the package's non-maximum suppressions: P-Net within one pyramid
#: level, P-Net across levels, R-Net, and O-Net (the last one divides by the smaller area).
NMS_PNET_LEVEL = 0.5
NMS_PNET_ALL = 0.7
NMS_RNET = 0.7
NMS_ONET = 0.7

#: Input sides of R-Net and O-Net.
RNET_SIZE = 24
ONET_SIZE = 48

#: Most P-Net input shapes whose compiled networks are kept (one per pyramid level).
_PNET_CACHE_SIZE = 48

#: The package feeds the networks ``(v - _MEAN) / _SCALE``; crops are _MEAN outside the image.
_MEAN = 127.5
_SCALE = 128.0

#: Largest block of boxes compared at once by :func:`nms_keep` (bounds its memory).
_NMS_BLOCK = 2048

#: Pyramid levels at most this fraction of the frame's height are averaged from the
#: integral image (cheaper than ``cv2.resize`` there; the same values).
_INTEGRAL_MAX_SCALE = 0.2

#: Smallest R-Net and O-Net batches worth splitting over two threads.
_RNET_MIN_SPLIT = 16
_ONET_MIN_SPLIT = 4

_T = TypeVar("_T")


# --------------------------------------------------------------------------------------
# A minimal ONNX writer: just enough of the protobuf wire format to describe the three
# small networks so that ``cv2.dnn.readNetFromONNX`` can load them from memory.
# --------------------------------------------------------------------------------------


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _pb_int(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


def _pb_bytes(field: int, data: bytes | str) -> bytes:
    raw = data.encode() if isinstance(data, str) else data
    return _varint((field << 3) | 2) + _varint(len(raw)) + raw


class _OnnxGraph:
    """Builds an ONNX model (opset 13, float32 NCHW) layer by layer."""

    def __init__(self, input_shape: Sequence[int | str]) -> None:
        self._nodes: list[bytes] = []
        self._inits: list[bytes] = []
        self._input = self._value_info("input", input_shape)
        self.last = "input"

    @staticmethod
    def _value_info(name: str, shape: Sequence[int | str]) -> bytes:
        dims = b"".join(
            _pb_bytes(1, _pb_int(1, d) if isinstance(d, int) else _pb_bytes(2, d)) for d in shape
        )
        tensor_type = _pb_int(1, 1) + _pb_bytes(2, dims)
        return _pb_bytes(1, name) + _pb_bytes(2, _pb_bytes(1, tensor_type))

    def _constant(self, name: str, array: np.ndarray) -> str:
        data = np.ascontiguousarray(array, dtype="<f4")
        self._inits.append(
            b"".join(_pb_int(1, d) for d in data.shape)
            + _pb_int(2, 1)
            + _pb_bytes(8, name)
            + _pb_bytes(9, data.tobytes())
        )
        return name

    def _node(self, op: str, inputs: Sequence[str], attrs: Sequence[bytes] = ()) -> str:
        name = f"{op.lower()}{len(self._nodes)}"
        self._nodes.append(
            b"".join(_pb_bytes(1, i) for i in inputs)
            + _pb_bytes(2, name)
            + _pb_bytes(3, name)
            + _pb_bytes(4, op)
            + b"".join(_pb_bytes(5, a) for a in attrs)
        )
        self.last = name
        return name

    @staticmethod
    def _ints(name: str, values: Sequence[int]) -> bytes:
        return _pb_bytes(1, name) + b"".join(_pb_int(8, int(v)) for v in values) + _pb_int(20, 7)

    def conv(self, kernel: np.ndarray, bias: np.ndarray) -> None:
        """Add a stride-1 valid convolution; ``kernel`` is Keras-shaped (kh, kw, cin, cout)."""
        name = f"conv{len(self._nodes)}"
        w = self._constant(name + "_w", np.transpose(kernel, (3, 2, 0, 1)))
        b = self._constant(name + "_b", bias)
        self._node("Conv", [self.last, w, b], [self._ints("kernel_shape", kernel.shape[:2])])

    def prelu(self, alpha: np.ndarray, spatial: bool = True) -> None:
        """Add a PReLU with one slope per channel."""
        slope = alpha.reshape(-1, 1, 1) if spatial else alpha.reshape(-1)
        a = self._constant(f"prelu{len(self._nodes)}_a", slope)
        self._node("PRelu", [self.last, a])

    def max_pool(self, size: int, stride: int, pad_end: tuple[int, int] = (0, 0)) -> None:
        """Add a max pooling; ``pad_end`` pads (bottom, right) like TensorFlow's "same"."""
        attrs = [
            self._ints("kernel_shape", (size, size)),
            self._ints("strides", (stride, stride)),
            self._ints("pads", (0, 0, pad_end[0], pad_end[1])),
        ]
        self._node("MaxPool", [self.last], attrs)

    def add(self, constant: np.ndarray) -> None:
        """Add a constant tensor that broadcasts to the running tensor's shape."""
        c = self._constant(f"add{len(self._nodes)}_c", constant)
        self._node("Add", [self.last, c])

    def max_of_groups(self, groups: int) -> None:
        """Split the channels into ``groups`` equal parts and keep their element-wise maximum."""
        source = self.last
        parts = [f"split{len(self._nodes)}_{i}" for i in range(groups)]
        self._nodes.append(
            _pb_bytes(1, source)
            + b"".join(_pb_bytes(2, p) for p in parts)
            + _pb_bytes(3, f"split{len(self._nodes)}")
            + _pb_bytes(4, "Split")
            + _pb_bytes(5, _pb_bytes(1, "axis") + _pb_int(3, 1) + _pb_int(20, 2))
        )
        self._node("Max", parts)

    def flatten(self) -> None:
        """Flatten NCHW to (N, C*H*W)."""
        self._node("Flatten", [self.last], [_pb_bytes(1, "axis") + _pb_int(3, 1) + _pb_int(20, 2)])

    def dense(self, kernel: np.ndarray, bias: np.ndarray) -> None:
        """Add a fully connected layer; ``kernel`` is (in, out)."""
        name = f"gemm{len(self._nodes)}"
        w = self._constant(name + "_w", kernel)
        b = self._constant(name + "_b", bias)
        self._node("Gemm", [self.last, w, b])

    def to_bytes(self, output_shape: Sequence[int | str]) -> bytes:
        """Return the serialised ``ModelProto``."""
        graph = (
            b"".join(_pb_bytes(1, n) for n in self._nodes)
            + _pb_bytes(2, "mtcnn")
            + b"".join(_pb_bytes(5, t) for t in self._inits)
            + _pb_bytes(11, self._input)
            + _pb_bytes(12, self._value_info(self.last, output_shape))
        )
        opset = _pb_bytes(1, "") + _pb_int(2, 13)
        return _pb_int(1, 8) + _pb_bytes(2, "faceapp") + _pb_bytes(7, graph) + _pb_bytes(8, opset)


# --------------------------------------------------------------------------------------
# Weights and network definitions
# --------------------------------------------------------------------------------------

#: Shapes of the arrays in each of the package's weight files, in ``Model.set_weights``
#: order: per layer the kernel (Keras layout), the bias, and a PReLU's slopes.
_WEIGHT_SHAPES: dict[str, list[tuple[int, ...]]] = {
    "pnet": [
        *[(3, 3, 3, 10), (10,), (1, 1, 10)],
        *[(3, 3, 10, 16), (16,), (1, 1, 16)],
        *[(3, 3, 16, 32), (32,), (1, 1, 32)],
        *[(1, 1, 32, 4), (4,), (1, 1, 32, 2), (2,)],
    ],
    "rnet": [
        *[(3, 3, 3, 28), (28,), (1, 1, 28)],
        *[(3, 3, 28, 48), (48,), (1, 1, 48)],
        *[(2, 2, 48, 64), (64,), (1, 1, 64)],
        *[(576, 128), (128,), (128,)],
        *[(128, 4), (4,), (128, 2), (2,)],
    ],
    "onet": [
        *[(3, 3, 3, 32), (32,), (1, 1, 32)],
        *[(3, 3, 32, 64), (64,), (1, 1, 64)],
        *[(3, 3, 64, 64), (64,), (1, 1, 64)],
        *[(2, 2, 64, 128), (128,), (1, 1, 128)],
        *[(1152, 256), (256,), (256,)],
        *[(256, 4), (4,), (256, 10), (10,), (256, 2), (2,)],
    ],
}


def package_weights_dir() -> Path:
    """Return the folder of the ``mtcnn`` package's weight files, without importing it.

    Raises
    ------
    FileNotFoundError
        When the ``mtcnn`` package is not installed or lacks its weights.
    """
    spec = importlib.util.find_spec("mtcnn")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the mtcnn package is not installed: pip install 'mtcnn>=1,<2'")
    folder = Path(next(iter(spec.submodule_search_locations))) / "assets" / "weights"
    if not (folder / "pnet.lz4").is_file():
        raise FileNotFoundError(f"mtcnn weights not found in {folder}")
    return folder


def load_package_weights(name: str) -> list[np.ndarray]:
    """Return the arrays of one of the package's networks, as its ``Model.set_weights`` takes them.

    Parameters
    ----------
    name : {"pnet", "rnet", "onet"}

    Raises
    ------
    FileNotFoundError
        When the package or its weights are missing.
    ValueError
        When the file does not hold the arrays this module expects.
    """
    import joblib

    arrays = joblib.load(package_weights_dir() / f"{name}.lz4")
    shapes = [np.shape(a) for a in arrays] if isinstance(arrays, list) else None
    if shapes != _WEIGHT_SHAPES[name]:
        raise ValueError(f"unexpected arrays in the mtcnn package's {name}.lz4: {shapes}")
    return [np.asarray(a, dtype=np.float32) for a in arrays]


def _fold_input(kernel: np.ndarray, bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fold the package's input handling into the first convolution.

    The package feeds RGB scaled as ``(v - 127.5) / 128``; the returned kernel and bias
    take raw BGR values in ``[0, 255]`` and give the same result.
    """
    k = kernel.astype(np.float64)[:, :, ::-1, :]
    folded_bias = bias.astype(np.float64) - (_MEAN / _SCALE) * k.sum(axis=(0, 1, 2))
    return (k / _SCALE).astype(np.float32), folded_bias.astype(np.float32)


def _space_to_depth_kernel(kernel: np.ndarray) -> np.ndarray:
    """Rewrite a 3x3 convolution as a 2x2 one over 2x2 pixel blocks, one output per phase.

    The input is the image cut into 2x2 blocks, each block's 12 values (row phase ``a``,
    column phase ``b``, channel ``c``) stacked as channel ``(2a + b) * 3 + c``. Output
    channel ``(2p + q) * cout + o`` is the original output ``o`` at pixel ``(2i + p, 2j + q)``
    of block ``(i, j)``, so the four phases of each 2x2 pooling window sit side by side.
    """
    cout = kernel.shape[3]
    out = np.zeros((2, 2, 12, 4 * cout), dtype=np.float32)
    for p in range(2):
        for q in range(2):
            for a in range(2):
                for b in range(2):
                    for u in range(2):
                        for v in range(2):
                            dy, dx = 2 * u + a - p, 2 * v + b - q
                            if 0 <= dy <= 2 and 0 <= dx <= 2:
                                rows = slice((2 * a + b) * 3, (2 * a + b) * 3 + 3)
                                cols = slice((2 * p + q) * cout, (2 * p + q + 1) * cout)
                                out[u, v, rows, cols] = kernel[dy, dx]
    return out


def _pnet_onnx(w: list[np.ndarray], height: int, width: int) -> bytes:
    """P-Net for one input size; output (1, 6, h', w'): 4 box offsets, 2 class logits.

    The input is the level image in 2x2 blocks (see :func:`space_to_depth`), padded to even
    sides. The first convolution, its PReLU and the 2x2 max pooling become one convolution
    producing the four pooling phases, then an element-wise maximum; that is exactly the
    package's computation but several times cheaper than a 3-channel convolution.
    """
    blocks_h, blocks_w = (height + 1) // 2, (width + 1) // 2
    g = _OnnxGraph([1, 12, blocks_h, blocks_w])
    kernel, bias = _fold_input(w[0], w[1])
    g.conv(_space_to_depth_kernel(kernel), np.tile(bias, 4))
    g.prelu(np.tile(w[2].reshape(-1), 4))
    # An odd side has no second phase in its last block; TensorFlow's "same" pooling pads
    # it with -inf, so push those outputs to the lowest float (masks broadcast over the
    # other side, so they stay small).
    lowest = np.finfo(np.float32).min
    if height % 2:
        rows = np.zeros((1, 4, 10, blocks_h - 1, 1), dtype=np.float32)
        rows[:, 2:, :, -1] = lowest  # row phase 1
        g.add(rows.reshape(1, 40, blocks_h - 1, 1))
    if width % 2:
        cols = np.zeros((1, 4, 10, 1, blocks_w - 1), dtype=np.float32)
        cols[:, 1::2, :, :, -1] = lowest  # column phase 1
        g.add(cols.reshape(1, 40, 1, blocks_w - 1))
    g.max_of_groups(4)
    g.conv(w[3], w[4])
    g.prelu(w[5])
    g.conv(w[6], w[7])
    g.prelu(w[8])
    g.conv(np.concatenate([w[9], w[11]], axis=-1), np.concatenate([w[10], w[12]]))
    return g.to_bytes([1, 6, "h", "w"])


def space_to_depth(level: np.ndarray) -> np.ndarray:
    """Return an (h, w, 3) image as (1, 12, ceil(h/2), ceil(w/2)) 2x2 blocks for P-Net.

    Odd sides are padded with one row or column of zeros (masked inside the network).
    """
    h, w = level.shape[:2]
    if h % 2 or w % 2:
        padded = np.zeros((h + h % 2, w + w % 2, 3), dtype=np.float32)
        padded[:h, :w] = level
        level = padded
    bh, bw = level.shape[0] // 2, level.shape[1] // 2
    blocks = level.reshape(bh, 2, bw, 2, 3).transpose(1, 3, 4, 0, 2)
    return np.ascontiguousarray(blocks).reshape(1, 12, bh, bw)


def _keras_flatten_to_nchw(kernel: np.ndarray, side: int, channels: int) -> np.ndarray:
    """Reorder a dense kernel that followed Keras' ``Permute((2, 1, 3))`` and ``Flatten``.

    Keras flattened (w, h, c); an NCHW ``Flatten`` yields (c, h, w).
    """
    k = kernel.reshape(side, side, channels, -1)
    return np.transpose(k, (2, 1, 0, 3)).reshape(side * side * channels, -1)


def _rnet_onnx(w: list[np.ndarray]) -> bytes:
    """R-Net; output (n, 6): 4 box offsets, 2 class logits."""
    g = _OnnxGraph(["n", 3, RNET_SIZE, RNET_SIZE])
    g.conv(*_fold_input(w[0], w[1]))
    g.prelu(w[2])
    g.max_pool(3, 2, pad_end=(1, 1))  # "same" on 22x22
    g.conv(w[3], w[4])
    g.prelu(w[5])
    g.max_pool(3, 2)
    g.conv(w[6], w[7])
    g.prelu(w[8])
    g.flatten()
    g.dense(_keras_flatten_to_nchw(w[9], 3, 64), w[10])
    g.prelu(w[11], spatial=False)
    g.dense(np.concatenate([w[12], w[14]], axis=1), np.concatenate([w[13], w[15]]))
    return g.to_bytes(["n", 6])


def _onet_onnx(w: list[np.ndarray]) -> bytes:
    """O-Net; output (n, 16): 4 box offsets, 10 landmark coordinates, 2 class logits."""
    g = _OnnxGraph(["n", 3, ONET_SIZE, ONET_SIZE])
    g.conv(*_fold_input(w[0], w[1]))
    g.prelu(w[2])
    g.max_pool(3, 2, pad_end=(1, 1))  # "same" on 46x46
    g.conv(w[3], w[4])
    g.prelu(w[5])
    g.max_pool(3, 2)
    g.conv(w[6], w[7])
    g.prelu(w[8])
    g.max_pool(2, 2)  # "same" on 8x8 needs no padding
    g.conv(w[9], w[10])
    g.prelu(w[11])
    g.flatten()
    g.dense(_keras_flatten_to_nchw(w[12], 3, 128), w[13])
    g.prelu(w[14], spatial=False)
    g.dense(np.concatenate([w[15], w[17], w[19]], axis=1), np.concatenate([w[16], w[18], w[20]]))
    return g.to_bytes(["n", 16])


# --------------------------------------------------------------------------------------
# Box maths (NumPy), following the package's conventions
# --------------------------------------------------------------------------------------


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


def _sort_best_first(scores: np.ndarray) -> np.ndarray:
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


def _refine(boxes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Apply R-/O-Net box offsets (fractions of the box side plus one) to ``x1, y1, x2, y2``."""
    w = boxes[:, 2] - boxes[:, 0] + 1
    h = boxes[:, 3] - boxes[:, 1] + 1
    sizes = np.stack([w, h, w, h], axis=1).astype(np.float32)
    return boxes[:, :4] + (offsets.astype(np.float32) * sizes).astype(np.float64)


def _face_probability(logits: np.ndarray) -> np.ndarray:
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
        out.transpose(1, 0, 2, 3)[:, outside] = _MEAN
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
    scores = _face_probability(np.stack([out[4, ys, xs], out[5, ys, xs]], axis=1))
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
    cand = cand[_sort_best_first(cand[:, 4])]
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


def _tf_rnet(w: list[np.ndarray]) -> Callable[[np.ndarray], np.ndarray] | None:
    """Return R-Net as a compiled TensorFlow function of (n, 3, 24, 24) crops, or None.

    TensorFlow's oneDNN kernels run R-Net's batched 24x24 convolutions about 1.5 times
    faster than OpenCV; without TensorFlow the OpenCV graph is used. The output is that
    of :func:`_rnet_onnx`.
    """
    try:
        from faceapp.core.tf_runtime import configure_tensorflow

        tf = configure_tensorflow()
    except Exception:  # any failure to load TensorFlow means it is not available
        log.debug("TensorFlow not available; R-Net runs on OpenCV", exc_info=True)
        return None
    kernel, bias = _fold_input(w[0], w[1])
    c = [tf.constant(a) for a in (kernel, bias, *w[2:])]
    head_w = tf.constant(np.concatenate([w[12], w[14]], axis=1))
    head_b = tf.constant(np.concatenate([w[13], w[15]]))

    def prelu(x: Any, alpha: Any) -> Any:
        return tf.nn.relu(x) - alpha * tf.nn.relu(-x)

    def conv(x: Any, k: Any, b: Any, alpha: Any) -> Any:
        return prelu(tf.nn.bias_add(tf.nn.conv2d(x, k, 1, "VALID"), b), alpha)

    @tf.function(input_signature=[tf.TensorSpec((None, 3, RNET_SIZE, RNET_SIZE), tf.float32)])
    def rnet(x: Any) -> Any:
        x = tf.transpose(x, [0, 2, 3, 1])
        x = tf.nn.max_pool2d(conv(x, c[0], c[1], c[2]), 3, 2, "SAME")
        x = tf.nn.max_pool2d(conv(x, c[3], c[4], c[5]), 3, 2, "VALID")
        x = conv(x, c[6], c[7], c[8])
        x = tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [-1, 576])  # Keras' Permute + Flatten
        x = prelu(tf.matmul(x, c[9]) + c[10], c[11])
        return tf.matmul(x, head_w) + head_b

    def run(crops: np.ndarray) -> np.ndarray:
        return np.asarray(rnet(crops).numpy())

    run(np.zeros((1, 3, RNET_SIZE, RNET_SIZE), dtype=np.float32))  # trace once, now
    return run


def _balance(costs: list[int], groups: int) -> list[list[int]]:
    """Split item indices into ``groups`` lists of similar total cost (largest first)."""
    parts: list[list[int]] = [[] for _ in range(groups)]
    loads = [0] * groups
    for i in sorted(range(len(costs)), key=lambda k: -costs[k]):
        g = loads.index(min(loads))
        parts[g].append(i)
        loads[g] += costs[i]
    return [p for p in parts if p]


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


# --------------------------------------------------------------------------------------
# The detector
# --------------------------------------------------------------------------------------


class FastMtcnnDetector:
    """MTCNN with the ``mtcnn`` package's weights and maths, run on OpenCV's DNN engine.

    Finds the same faces as :class:`faceapp.core.detector.MtcnnPackageDetector` (boxes
    and landmarks agree to a fraction of a pixel before the package rounds them) several
    times faster: P-Net and O-Net are compiled once by ``cv2.dnn`` (one P-Net per
    pyramid-level shape, its first layer rewritten to work on 2x2 pixel blocks), R-Net is
    one TensorFlow graph over all candidates (OpenCV when TensorFlow is missing), the
    pyramid levels and the crops are split over two threads, and the box maths is NumPy.
    The weights are read from the package's files; the package itself is not imported.

    Parameters
    ----------
    min_face_size : int
        Smallest face side, in pixels, the image pyramid looks for. The cost of a frame
        falls roughly with the square of this value.
    thresholds : tuple of three floats
        Score thresholds, in ``[0, 1]``, of the P-, R- and O-Net stages.
    scale_factor : float
        Ratio, in ``(0, 1)``, between successive pyramid levels.

    Notes
    -----
    Thread-safe: calls are serialised with a lock. With two or more CPUs, each call also
    uses one helper thread owned by the detector.

    Pyramid levels with a side under 11 pixels are skipped. The package instead fails on
    them and reports no face at all, which on a 640x480 frame happens for any
    ``min_face_size`` of 24 or more; this detector keeps finding faces there. Below
    ``min_face_size=12`` the first levels enlarge the frame, where OpenCV's area
    interpolation and TensorFlow's differ slightly.
    """

    def __init__(
        self,
        min_face_size: int = 20,
        thresholds: tuple[float, float, float] = (0.6, 0.7, 0.8),
        scale_factor: float = 0.709,
    ) -> None:
        if min_face_size <= 0:
            raise ValueError("min_face_size must be positive")
        if not 0.0 < scale_factor < 1.0:
            raise ValueError("scale_factor must be between 0 and 1")
        self.min_face_size = min_face_size
        self.thresholds = thresholds
        self.scale_factor = scale_factor
        self._weights: dict[str, list[np.ndarray]] = {}
        # Two instances each of R-Net and O-Net, so that halves of a batch run at once.
        self._rnets: list[Any] = []
        self._rnet_tf: Callable[[np.ndarray], np.ndarray] | None = None
        self._onets: list[Any] = []
        self._pnets: OrderedDict[tuple[int, int], Any] = OrderedDict()
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def prepare(self) -> None:
        """Read the package's weights and compile R-Net and O-Net (P-Nets come per shape).

        Raises
        ------
        FileNotFoundError
            When the ``mtcnn`` package or its weight files are missing.
        """
        with self._lock:
            self._prepare_locked()

    def _prepare_locked(self) -> None:
        if self._onets:
            return
        import cv2

        weights = {name: load_package_weights(name) for name in _WEIGHT_SHAPES}
        rnet = np.frombuffer(_rnet_onnx(weights["rnet"]), np.uint8)
        onet = np.frombuffer(_onet_onnx(weights["onet"]), np.uint8)
        self._rnets = [cv2.dnn.readNetFromONNX(rnet) for _ in range(2)]
        self._rnet_tf = _tf_rnet(weights["rnet"])
        self._weights = weights
        if _cpu_count() >= 2:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fast-mtcnn")
        self._onets = [cv2.dnn.readNetFromONNX(onet) for _ in range(2)]
        log.debug("fast MTCNN ready (%s)", "two threads" if self._pool else "one thread")

    def _pnet(self, height: int, width: int) -> Any:
        key = (height, width)
        net = self._pnets.get(key)
        if net is None:
            import cv2

            net = cv2.dnn.readNetFromONNX(
                np.frombuffer(_pnet_onnx(self._weights["pnet"], height, width), np.uint8)
            )
            self._pnets[key] = net
            if len(self._pnets) > _PNET_CACHE_SIZE:
                self._pnets.popitem(last=False)
        else:
            self._pnets.move_to_end(key)
        return net

    def detect(self, frame: np.ndarray) -> list[Face]:
        """Return the faces in a frame, highest score first.

        Parameters
        ----------
        frame : ndarray
            BGR uint8 of shape (h, w, 3); grayscale (h, w) and BGRA (h, w, 4) are
            converted.

        Returns
        -------
        list of Face
            Boxes and landmarks in the frame's pixel coordinates; boxes are clipped to the
            frame (landmarks are not), as the package does. Empty for frames smaller
            than 12 pixels.

        Raises
        ------
        ValueError
            When ``frame`` is not an image of one of those shapes.
        """
        image = as_bgr(np.asarray(frame))
        with self._lock:
            self._prepare_locked()
            return self._detect_locked(image)

    def _detect_locked(self, frame: np.ndarray) -> list[Face]:
        height, width = frame.shape[:2]
        image = frame.astype(np.float32)
        boxes = self._stage_pnet(frame, image)
        if not len(boxes):
            return []
        planes = np.ascontiguousarray(image.transpose(2, 0, 1)).reshape(3, -1)
        boxes = self._stage_rnet(planes, width, boxes)
        if not len(boxes):
            return []
        boxes, landmarks = self._stage_onet(planes, width, boxes)
        faces = []
        for (x1, y1, x2, y2, score), pts in zip(boxes, landmarks):
            x1, x2 = min(max(x1, 0.0), width - 1.0), min(max(x2, 0.0), width - 1.0)
            y1, y2 = min(max(y1, 0.0), height - 1.0), min(max(y2, 0.0), height - 1.0)
            points: list[Point] = [(float(pts[i]), float(pts[i + 5])) for i in range(5)]
            faces.append(
                Face(
                    Box(float(x1), float(y1), float(x2 - x1), float(y2 - y1)),
                    (points[0], points[1], points[2], points[3], points[4]),
                    float(score),
                )
            )
        faces.sort(key=lambda f: f.score, reverse=True)
        return faces

    def _in_parallel(self, tasks: list[Callable[[], _T]]) -> list[_T]:
        """Run the tasks, the first on the helper thread when there is one; keep their order."""
        if self._pool is None or len(tasks) < 2:
            return [task() for task in tasks]
        future = self._pool.submit(tasks[0])
        rest = [task() for task in tasks[1:]]
        return [future.result(), *rest]

    def _stage_pnet(self, frame: np.ndarray, image: np.ndarray) -> np.ndarray:
        """Return square candidate boxes (n, 5: x1, y1, x2, y2, score) from the pyramid."""
        import cv2

        height, width = image.shape[:2]
        levels = scale_pyramid(height, width, self.min_face_size, self.scale_factor)
        if not levels:
            return np.zeros((0, 5))
        nets = [self._pnet(h, w) for _, h, w in levels]
        # Small levels are cheaper to average from the integral image than to resize.
        integral = cv2.integral(frame) if levels[-1][1] <= height * _INTEGRAL_MAX_SCALE else None
        threshold = self.thresholds[0]

        def run(indices: list[int]) -> list[tuple[int, np.ndarray]]:
            found = []
            for i in indices:
                scale, h, w = levels[i]
                if integral is not None and h <= height * _INTEGRAL_MAX_SCALE:
                    level = area_resize_from_integral(integral, h, w)
                else:
                    level = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
                nets[i].setInput(space_to_depth(level))
                cand = pnet_candidates(nets[i].forward()[0], scale, threshold)
                found.append((i, cand[nms_keep(cand, NMS_PNET_LEVEL)]))
            return found

        groups = _balance([h * w for _, h, w in levels], 2 if self._pool else 1)
        results = self._in_parallel([functools.partial(run, g) for g in groups])
        per_level = [cand for _, cand in sorted(r for part in results for r in part)]
        boxes = np.concatenate(per_level)
        if not len(boxes):
            return boxes
        boxes = boxes[_sort_best_first(boxes[:, 4])]
        boxes = boxes[nms_keep(boxes, NMS_PNET_ALL)]
        return square_boxes(boxes)

    def _run_batched(
        self,
        nets: list[Any],
        planes: np.ndarray,
        width: int,
        boxes: np.ndarray,
        size: int,
        min_split: int,
    ) -> np.ndarray:
        """Return a network's outputs for the crops of ``boxes``, in two halves at once."""

        def run(net: Any, part: np.ndarray) -> np.ndarray:
            net.setInput(crop_patches(planes, width, part, size))
            return np.array(net.forward())

        if self._pool is None or len(boxes) < min_split:
            return run(nets[0], boxes)
        half = (len(boxes) + 1) // 2
        first, second = self._in_parallel(
            [lambda: run(nets[0], boxes[:half]), lambda: run(nets[1], boxes[half:])]
        )
        return np.concatenate([first, second])

    def _stage_rnet(self, planes: np.ndarray, width: int, boxes: np.ndarray) -> np.ndarray:
        """Return R-Net's refined square boxes (n, 5) from P-Net's candidates."""
        if self._rnet_tf is not None:
            parts = [boxes]
            if self._pool is not None and len(boxes) >= _RNET_MIN_SPLIT:
                parts = np.array_split(boxes, 2)
            crops = self._in_parallel(
                [functools.partial(crop_patches, planes, width, part, RNET_SIZE) for part in parts]
            )
            out = self._rnet_tf(np.concatenate(crops))
        else:
            out = self._run_batched(self._rnets, planes, width, boxes, RNET_SIZE, _RNET_MIN_SPLIT)
        scores = _face_probability(out[:, 4:6])
        refined = np.concatenate([_refine(boxes, out[:, :4]), scores[:, None]], axis=1)
        refined = refined[scores > self.thresholds[1]]
        refined = refined[_sort_best_first(refined[:, 4])]
        refined = refined[nms_keep(refined, NMS_RNET)]
        return square_boxes(refined)

    def _stage_onet(
        self, planes: np.ndarray, width: int, boxes: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return O-Net's final boxes (n, 5) and landmarks (n, 10: five x, then five y)."""
        out = self._run_batched(self._onets, planes, width, boxes, ONET_SIZE, _ONET_MIN_SPLIT)
        scores = _face_probability(out[:, 14:16])
        w = boxes[:, 2:3] - boxes[:, 0:1] + 1
        h = boxes[:, 3:4] - boxes[:, 1:2] + 1
        landmarks = np.concatenate(
            [w * out[:, 4:9] + boxes[:, 0:1] - 1, h * out[:, 9:14] + boxes[:, 1:2] - 1], axis=1
        )
        final = np.concatenate([_refine(boxes, out[:, :4]), scores[:, None]], axis=1)
        keep = scores > self.thresholds[2]
        final, landmarks = final[keep], landmarks[keep]
        order = _sort_best_first(final[:, 4])
        final, landmarks = final[order], landmarks[order]
        keep_idx = nms_keep(final, NMS_ONET, method="min")
        return final[keep_idx], landmarks[keep_idx]
