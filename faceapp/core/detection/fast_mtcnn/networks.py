"""MTCNN's three networks: the ``mtcnn`` package's weights, as ONNX graphs for OpenCV."""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from faceapp.core.detection.fast_mtcnn.onnx_writer import OnnxGraph
from faceapp.core.errors import ModelError

log = logging.getLogger(__name__)

#: Input sides of R-Net and O-Net.
RNET_SIZE = 24
ONET_SIZE = 48

#: The package feeds the networks ``(v - PIXEL_MEAN) / PIXEL_SCALE``; crops are
#: PIXEL_MEAN outside the image.
PIXEL_MEAN = 127.5
PIXEL_SCALE = 128.0


#: Shapes of the arrays in each of the package's weight files, in ``Model.set_weights``
#: order: per layer the kernel (Keras layout), the bias, and a PReLU's slopes.
WEIGHT_SHAPES: dict[str, list[tuple[int, ...]]] = {
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
    ModelError
        When the ``mtcnn`` package is not installed or lacks its weights.
    """
    spec = importlib.util.find_spec("mtcnn")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("the mtcnn package is not installed: pip install 'mtcnn>=1,<2'")
    folder = Path(next(iter(spec.submodule_search_locations))) / "assets" / "weights"
    if not (folder / "pnet.lz4").is_file():
        raise ModelError(f"mtcnn weights not found in {folder}")
    return folder


def load_package_weights(name: str) -> list[np.ndarray]:
    """Return the arrays of one of the package's networks, as its ``Model.set_weights`` takes them.

    Parameters
    ----------
    name : {"pnet", "rnet", "onet"}

    Raises
    ------
    ModelError
        When the package or its weights are missing, or a file does not hold the arrays
        this module expects.
    """
    import joblib

    path = package_weights_dir() / f"{name}.lz4"
    try:
        arrays = joblib.load(path)
    except Exception as exc:  # joblib raises whatever its unpickler meets in a bad file
        raise ModelError(f"{path} is not a readable mtcnn weights file: {exc}") from exc
    shapes = [np.shape(a) for a in arrays] if isinstance(arrays, list) else None
    if shapes != WEIGHT_SHAPES[name]:
        raise ModelError(f"unexpected arrays in the mtcnn package's {name}.lz4: {shapes}")
    return [np.asarray(a, dtype=np.float32) for a in arrays]


def _fold_input(kernel: np.ndarray, bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fold the package's input handling into the first convolution.

    The package feeds RGB scaled as ``(v - 127.5) / 128``; the returned kernel and bias
    take raw BGR values in ``[0, 255]`` and give the same result.
    """
    k = kernel.astype(np.float64)[:, :, ::-1, :]
    folded_bias = bias.astype(np.float64) - (PIXEL_MEAN / PIXEL_SCALE) * k.sum(axis=(0, 1, 2))
    return (k / PIXEL_SCALE).astype(np.float32), folded_bias.astype(np.float32)


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


def pnet_onnx(w: list[np.ndarray], height: int, width: int) -> bytes:
    """P-Net for one input size; output (1, 6, h', w'): 4 box offsets, 2 class logits.

    The input is the level image in 2x2 blocks (see :func:`space_to_depth`), padded to even
    sides. The first convolution, its PReLU and the 2x2 max pooling become one convolution
    producing the four pooling phases, then an element-wise maximum; that is exactly the
    package's computation but several times cheaper than a 3-channel convolution.
    """
    blocks_h, blocks_w = (height + 1) // 2, (width + 1) // 2
    g = OnnxGraph([1, 12, blocks_h, blocks_w])
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


def rnet_onnx(w: list[np.ndarray]) -> bytes:
    """R-Net; output (n, 6): 4 box offsets, 2 class logits."""
    g = OnnxGraph(["n", 3, RNET_SIZE, RNET_SIZE])
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


def onet_onnx(w: list[np.ndarray]) -> bytes:
    """O-Net; output (n, 16): 4 box offsets, 10 landmark coordinates, 2 class logits."""
    g = OnnxGraph(["n", 3, ONET_SIZE, ONET_SIZE])
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


def tf_rnet(w: list[np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """Return R-Net as a compiled TensorFlow function of (n, 3, 24, 24) crops.

    TensorFlow's oneDNN kernels run R-Net's batched 24x24 convolutions about 1.5 times
    faster than OpenCV, at the price of loading TensorFlow. The output is that of
    :func:`rnet_onnx`.

    Raises
    ------
    ModelError
        When TensorFlow cannot be loaded.
    """
    from faceapp.core.runtime import configure_tensorflow

    tf = configure_tensorflow()
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
