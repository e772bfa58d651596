"""FaceEmbedder protocol and the FaceNet (Inception-ResNet-v1) embedder in Keras 3."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from faceapp.core.matching import l2_normalize

if TYPE_CHECKING:
    import keras

log = logging.getLogger(__name__)

#: Side of the square RGB crop the FaceNet network takes, in pixels.
INPUT_SIZE = 160
#: Length of an embedding.
EMBEDDING_DIM = 128


class ModelError(RuntimeError):
    """A model could not be loaded (missing or damaged weights, missing package)."""


@runtime_checkable
class FaceEmbedder(Protocol):
    """Turns aligned face crops into L2-normalised embeddings."""

    input_size: int
    dim: int

    def prepare(self) -> None:
        """Load the model; heavy imports happen here, not at import time."""

    def embed(self, crops: np.ndarray) -> np.ndarray:
        """Return ``(n, dim)`` float32 unit vectors for ``(n, size, size, 3)`` RGB uint8 crops."""


def prewhiten(crops: np.ndarray) -> np.ndarray:
    """Return per-image standardised crops, as the FaceNet weights were trained with.

    Each image has its mean subtracted and is divided by ``max(std, 1/sqrt(n_pixels))``.

    Parameters
    ----------
    crops : ndarray, shape (n, h, w, 3)
        RGB images, any numeric dtype.

    Returns
    -------
    ndarray, float32, same shape
    """
    x = np.asarray(crops, dtype=np.float32)
    axes = tuple(range(1, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    std = x.std(axis=axes, keepdims=True)
    floor = 1.0 / np.sqrt(np.prod(x.shape[1:]))
    return (x - mean) / np.maximum(std, floor)


def build_inception_resnet_v1(input_size: int = INPUT_SIZE) -> keras.Model:
    """Build Inception-ResNet-v1 with the layer names of ``facenet_keras.h5``.

    The topology is the one of the FaceNet 20170512-110547 weights converted to Keras:
    a stem, 5 x Block35 (scale 0.17), Reduction-A, 10 x Block17 (scale 0.1),
    Reduction-B, 5 x Block8 (scale 0.2) and a final linear Block8, global average
    pooling, a 128-unit bottleneck and batch normalisation.  The residual "scale and
    sum" that the original file stores as Lambda layers is an ordinary layer here.

    Returns
    -------
    keras.Model
        Maps ``(n, size, size, 3)`` standardised images to ``(n, 128)`` raw embeddings
        (not yet L2-normalised).  Weights are uninitialised until loaded.
    """
    import keras
    from keras import layers

    bn_axis = -1

    class ScaleSum(layers.Layer):
        """Residual connection: ``inputs[0] + scale * inputs[1]``."""

        def __init__(self, scale: float, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.scale = scale

        def call(self, inputs: list[Any]) -> Any:
            return inputs[0] + inputs[1] * self.scale

    def conv(
        x: Any,
        filters: int,
        kernel: int | tuple[int, int],
        name: str,
        strides: int = 1,
        padding: str = "same",
        activation: bool = True,
    ) -> Any:
        x = layers.Conv2D(
            filters, kernel, strides=strides, padding=padding, use_bias=False, name=name
        )(x)
        x = layers.BatchNormalization(
            axis=bn_axis, momentum=0.995, epsilon=0.001, scale=False, name=f"{name}_BatchNorm"
        )(x)
        if activation:
            x = layers.Activation("relu", name=f"{name}_Activation")(x)
        return x

    def residual(
        x: Any, branches: list[Any], prefix: str, scale: float, activation: bool = True
    ) -> Any:
        mixed = layers.Concatenate(axis=bn_axis, name=f"{prefix}_Concatenate")(branches)
        up = layers.Conv2D(
            x.shape[-1], 1, padding="same", use_bias=True, name=f"{prefix}_Conv2d_1x1"
        )(mixed)
        x = ScaleSum(scale, name=f"{prefix}_ScaleSum")([x, up])
        if activation:
            x = layers.Activation("relu", name=f"{prefix}_Activation")(x)
        return x

    def block35(x: Any, idx: int) -> Any:
        p = f"Block35_{idx}"
        b0 = conv(x, 32, 1, f"{p}_Branch_0_Conv2d_1x1")
        b1 = conv(x, 32, 1, f"{p}_Branch_1_Conv2d_0a_1x1")
        b1 = conv(b1, 32, 3, f"{p}_Branch_1_Conv2d_0b_3x3")
        b2 = conv(x, 32, 1, f"{p}_Branch_2_Conv2d_0a_1x1")
        b2 = conv(b2, 32, 3, f"{p}_Branch_2_Conv2d_0b_3x3")
        b2 = conv(b2, 32, 3, f"{p}_Branch_2_Conv2d_0c_3x3")
        return residual(x, [b0, b1, b2], p, 0.17)

    def block17(x: Any, idx: int) -> Any:
        p = f"Block17_{idx}"
        b0 = conv(x, 128, 1, f"{p}_Branch_0_Conv2d_1x1")
        b1 = conv(x, 128, 1, f"{p}_Branch_1_Conv2d_0a_1x1")
        b1 = conv(b1, 128, (1, 7), f"{p}_Branch_1_Conv2d_0b_1x7")
        b1 = conv(b1, 128, (7, 1), f"{p}_Branch_1_Conv2d_0c_7x1")
        return residual(x, [b0, b1], p, 0.1)

    def block8(x: Any, idx: int, scale: float = 0.2, activation: bool = True) -> Any:
        p = f"Block8_{idx}"
        b0 = conv(x, 192, 1, f"{p}_Branch_0_Conv2d_1x1")
        b1 = conv(x, 192, 1, f"{p}_Branch_1_Conv2d_0a_1x1")
        b1 = conv(b1, 192, (1, 3), f"{p}_Branch_1_Conv2d_0b_1x3")
        b1 = conv(b1, 192, (3, 1), f"{p}_Branch_1_Conv2d_0c_3x1")
        return residual(x, [b0, b1], p, scale, activation)

    inputs = keras.Input((input_size, input_size, 3), name="input_1")
    x = conv(inputs, 32, 3, "Conv2d_1a_3x3", strides=2, padding="valid")
    x = conv(x, 32, 3, "Conv2d_2a_3x3", padding="valid")
    x = conv(x, 64, 3, "Conv2d_2b_3x3")
    x = layers.MaxPooling2D(3, strides=2, name="MaxPool_3a_3x3")(x)
    x = conv(x, 80, 1, "Conv2d_3b_1x1", padding="valid")
    x = conv(x, 192, 3, "Conv2d_4a_3x3", padding="valid")
    x = conv(x, 256, 3, "Conv2d_4b_3x3", strides=2, padding="valid")
    for i in range(1, 6):
        x = block35(x, i)

    # Reduction-A
    r0 = conv(x, 384, 3, "Mixed_6a_Branch_0_Conv2d_1a_3x3", strides=2, padding="valid")
    r1 = conv(x, 192, 1, "Mixed_6a_Branch_1_Conv2d_0a_1x1")
    r1 = conv(r1, 192, 3, "Mixed_6a_Branch_1_Conv2d_0b_3x3")
    r1 = conv(r1, 256, 3, "Mixed_6a_Branch_1_Conv2d_1a_3x3", strides=2, padding="valid")
    r2 = layers.MaxPooling2D(3, strides=2, name="Mixed_6a_Branch_2_MaxPool_1a_3x3")(x)
    x = layers.Concatenate(axis=bn_axis, name="Mixed_6a")([r0, r1, r2])
    for i in range(1, 11):
        x = block17(x, i)

    # Reduction-B
    r0 = conv(x, 256, 1, "Mixed_7a_Branch_0_Conv2d_0a_1x1")
    r0 = conv(r0, 384, 3, "Mixed_7a_Branch_0_Conv2d_1a_3x3", strides=2, padding="valid")
    r1 = conv(x, 256, 1, "Mixed_7a_Branch_1_Conv2d_0a_1x1")
    r1 = conv(r1, 256, 3, "Mixed_7a_Branch_1_Conv2d_1a_3x3", strides=2, padding="valid")
    r2 = conv(x, 256, 1, "Mixed_7a_Branch_2_Conv2d_0a_1x1")
    r2 = conv(r2, 256, 3, "Mixed_7a_Branch_2_Conv2d_0b_3x3")
    r2 = conv(r2, 256, 3, "Mixed_7a_Branch_2_Conv2d_1a_3x3", strides=2, padding="valid")
    r3 = layers.MaxPooling2D(3, strides=2, name="Mixed_7a_Branch_3_MaxPool_1a_3x3")(x)
    x = layers.Concatenate(axis=bn_axis, name="Mixed_7a")([r0, r1, r2, r3])
    for i in range(1, 6):
        x = block8(x, i)
    x = block8(x, 6, scale=1.0, activation=False)

    x = layers.GlobalAveragePooling2D(name="AvgPool")(x)
    x = layers.Dropout(0.2, name="Dropout")(x)
    x = layers.Dense(EMBEDDING_DIM, use_bias=False, name="Bottleneck")(x)
    x = layers.BatchNormalization(
        momentum=0.995, epsilon=0.001, scale=False, name="Bottleneck_BatchNorm"
    )(x)
    return keras.Model(inputs, x, name="inception_resnet_v1")


def load_h5_weights(model: keras.Model, path: Path) -> int:
    """Copy weights from a Keras 2 ``.h5`` file into ``model`` by layer name.

    Every layer of ``model`` that has weights must find a group of the same name in
    the file with arrays of identical shapes, in the order Keras lists them.

    Returns
    -------
    int
        Number of layers loaded.

    Raises
    ------
    ModelError
        On a missing file, a missing layer, or a shape mismatch.
    """
    import h5py

    if not path.is_file():
        raise ModelError(
            f"FaceNet weights not found at {path}; run 'faceapp weights fetch' (or 'make setup')"
        )
    try:
        fh = h5py.File(path, "r")
    except OSError as exc:
        raise ModelError(f"{path} is not a readable HDF5 weights file: {exc}") from exc
    loaded = 0
    with fh:
        root = fh.get("model_weights", fh)
        for layer in model.layers:
            if not layer.weights:
                continue
            if layer.name not in root:
                raise ModelError(f"{path.name} has no weights for layer {layer.name}")
            group = root[layer.name]
            names = [n.decode() if isinstance(n, bytes) else n for n in group.attrs["weight_names"]]
            arrays = [np.asarray(group[n]) for n in names]
            expected = [tuple(w.shape) for w in layer.weights]
            if [a.shape for a in arrays] != expected:
                raise ModelError(
                    f"layer {layer.name}: file shapes {[a.shape for a in arrays]} "
                    f"do not fit the network's {expected}"
                )
            layer.set_weights(arrays)
            loaded += 1
    return loaded


class FaceNetEmbedder:
    """FaceNet Inception-ResNet-v1 (20170512-110547 lineage) with the Keras 3 backend.

    Parameters
    ----------
    weights : Path, optional
        The ``facenet_keras.h5`` file; defaults to the fetched one.
    flip : bool
        Also embed the horizontally mirrored crop and add the two raw embeddings before
        normalising (flip fusion); about twice the compute, slightly more accurate.
    batch_size : int
        Largest batch passed to the network at once; crops are padded up to a bucket
        size (1, 2, 4, 8 or ``batch_size``) so only a few graph shapes get traced.

    Notes
    -----
    ``embed`` may be called from any one thread at a time; a lock serialises calls.
    """

    input_size = INPUT_SIZE
    dim = EMBEDDING_DIM

    def __init__(self, weights: Path | None = None, flip: bool = True, batch_size: int = 16):
        self.weights = weights
        self.flip = flip
        self.batch_size = max(1, int(batch_size))
        self._model: Any = None
        self._infer: Any = None
        self._lock = threading.Lock()

    @property
    def ready(self) -> bool:
        """True once :meth:`prepare` has loaded the network."""
        return self._infer is not None

    def prepare(self) -> None:
        """Build the network, load the weights and compile the inference function.

        Raises
        ------
        ModelError
            When the weights are missing or do not fit.
        """
        if self._infer is not None:
            return
        from faceapp.core.tf_runtime import configure_tensorflow

        tf = configure_tensorflow()
        from faceapp import paths

        path = Path(self.weights) if self.weights else paths.facenet_weights_path()
        model = build_inception_resnet_v1(INPUT_SIZE)
        n = load_h5_weights(model, path)
        log.info("FaceNet: loaded %d layers from %s", n, path)

        @tf.function(reduce_retracing=True)
        def infer(x: Any) -> Any:
            return model(x, training=False)

        self._model = model
        self._infer = infer
        # Trace the common shapes now so the first real call is fast.
        for n_batch in sorted({1, min(self.batch_size, 2 if self.flip else 1)}):
            infer(tf.zeros((n_batch, INPUT_SIZE, INPUT_SIZE, 3), tf.float32))

    @property
    def model(self) -> Any:
        """The underlying ``keras.Model`` (after :meth:`prepare`)."""
        self.prepare()
        return self._model

    def _bucket(self, n: int) -> int:
        for size in (1, 2, 4, 8):
            if n <= size:
                return min(size, self.batch_size)
        return self.batch_size

    def raw(self, batch: np.ndarray) -> np.ndarray:
        """Run the network on standardised images and return unnormalised embeddings."""
        self.prepare()
        out = []
        for start in range(0, len(batch), self.batch_size):
            chunk = batch[start : start + self.batch_size]
            size = self._bucket(len(chunk))
            if len(chunk) < size:
                pad = np.zeros((size - len(chunk), *chunk.shape[1:]), np.float32)
                chunk = np.concatenate([chunk, pad])
            out.append(np.asarray(self._infer(chunk))[: min(len(batch) - start, size)])
        return np.concatenate(out) if out else np.zeros((0, EMBEDDING_DIM), np.float32)

    def embed(self, crops: np.ndarray) -> np.ndarray:
        """Return L2-normalised embeddings of aligned face crops.

        Parameters
        ----------
        crops : ndarray, shape (n, 160, 160, 3)
            RGB crops (uint8 or float), as made by :mod:`faceapp.core.align`.

        Returns
        -------
        ndarray, shape (n, 128), float32
            Unit-length embeddings.
        """
        crops = np.asarray(crops)
        if crops.ndim == 3:
            crops = crops[None]
        if crops.shape[1:] != (INPUT_SIZE, INPUT_SIZE, 3):
            raise ValueError(
                f"expected (n, {INPUT_SIZE}, {INPUT_SIZE}, 3) crops, got {crops.shape}"
            )
        if len(crops) == 0:
            return np.zeros((0, EMBEDDING_DIM), np.float32)
        x = prewhiten(crops)
        with self._lock:
            if self.flip:
                both = self.raw(np.concatenate([x, x[:, :, ::-1, :]]))
                emb = both[: len(x)] + both[len(x) :]
            else:
                emb = self.raw(x)
        return l2_normalize(emb)
