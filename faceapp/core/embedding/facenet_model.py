"""The FaceNet network: Inception-ResNet-v1 built in Keras 3, its h5 weights, batch-norm folding."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from faceapp.core.errors import ModelError

if TYPE_CHECKING:
    import keras

log = logging.getLogger(__name__)

#: Side of the square RGB crop the FaceNet network takes, in pixels.
INPUT_SIZE = 160
#: Length of an embedding.
EMBEDDING_DIM = 128


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
    floor = np.float32(1.0 / np.sqrt(np.prod(x.shape[1:])))
    return ((x - mean) / np.maximum(std, floor)).astype(np.float32, copy=False)


def build_inception_resnet_v1(input_size: int = INPUT_SIZE, fused: bool = False) -> keras.Model:
    """Build Inception-ResNet-v1 with the layer names of ``facenet_keras.h5``.

    The topology is the one of the FaceNet 20170512-110547 weights converted to Keras:
    a stem, 5 x Block35 (scale 0.17), Reduction-A, 10 x Block17 (scale 0.1),
    Reduction-B, 5 x Block8 (scale 0.2) and a final linear Block8, global average
    pooling, a 128-unit bottleneck and batch normalisation.  The residual "scale and
    sum" that the original file stores as Lambda layers is an ordinary layer here.

    Parameters
    ----------
    input_size : int
        Side of the square input, in pixels.
    fused : bool
        Build the inference form instead: every convolution (and the bottleneck) has a
        bias and no batch normalisation after it, and the residual branches are plain
        sums.  Its weights come from the file's network through :func:`fold_batch_norm`,
        not from the file.

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
            filters, kernel, strides=strides, padding=padding, use_bias=fused, name=name
        )(x)
        if not fused:
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
        if fused:
            x = layers.Add(name=f"{prefix}_ScaleSum")([x, up])
        else:
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
    x = layers.Dense(EMBEDDING_DIM, use_bias=fused, name="Bottleneck")(x)
    if not fused:
        x = layers.BatchNormalization(
            momentum=0.995, epsilon=0.001, scale=False, name="Bottleneck_BatchNorm"
        )(x)
    return keras.Model(inputs, x, name="inception_resnet_v1")


def open_h5_weights(path: Path) -> Any:
    """Open a weights file for reading and return the ``h5py.File``.

    Raises
    ------
    ModelError
        When the file is missing or is not readable HDF5 (truncated, damaged).
    """
    import h5py

    if not path.is_file():
        raise ModelError(
            f"FaceNet weights not found at {path}; run 'faceapp weights fetch' (or 'make setup')"
        )
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise ModelError(f"{path} is not a readable HDF5 weights file: {exc}") from exc


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
    fh = open_h5_weights(path)
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


def fold_batch_norm(source: keras.Model, fused: keras.Model) -> int:
    """Copy the weights of ``source`` into ``fused`` with the batch normalisations folded in.

    For a convolution (or dense layer) ``W`` followed by batch normalisation with
    ``beta``, moving mean ``mu`` and variance ``var`` (no ``gamma``), the fused layer gets
    ``W / sqrt(var + eps)`` per output channel and bias ``beta - mu / sqrt(var + eps)``.
    A residual ``x + scale * conv(m)`` becomes ``x + conv'(m)`` with the 1x1 convolution's
    kernel and bias multiplied by ``scale``.  In exact arithmetic the two networks compute
    the same function; in float32 the embeddings agree to a cosine of about 1 - 1e-7.

    Parameters
    ----------
    source : keras.Model
        :func:`build_inception_resnet_v1` with weights loaded.
    fused : keras.Model
        ``build_inception_resnet_v1(fused=True)`` of the same input size; modified in place.

    Returns
    -------
    int
        Number of layers of ``fused`` that received weights.

    Raises
    ------
    ModelError
        When a layer of ``fused`` has no counterpart in ``source``.
    """
    src = {layer.name: layer for layer in source.layers}
    done = 0
    for layer in fused.layers:
        if not layer.weights:
            continue
        if layer.name not in src:
            raise ModelError(f"the loaded network has no layer {layer.name}")
        bn = src.get(f"{layer.name}_BatchNorm")
        scale_sum = src.get(layer.name.removesuffix("_Conv2d_1x1") + "_ScaleSum")
        if bn is not None:
            (kernel,) = src[layer.name].get_weights()
            beta, mean, var = bn.get_weights()
            inv = 1.0 / np.sqrt(var.astype(np.float64) + bn.epsilon)
            weights = [kernel * inv, beta - mean * inv]
        elif scale_sum is not None and layer.name.endswith("_Conv2d_1x1"):
            weights = [w * scale_sum.scale for w in src[layer.name].get_weights()]
        else:
            weights = src[layer.name].get_weights()
        layer.set_weights([np.asarray(w, np.float32) for w in weights])
        done += 1
    return done


def load_model(path: Path) -> keras.Model:
    """Return the network of a weights file as the file has it (batch norms not folded).

    Takes seconds (TensorFlow is imported, the network built and loaded).

    Raises
    ------
    ModelError
        As :func:`load_h5_weights`, checked before the network is built, or when
        TensorFlow cannot be loaded.
    """
    from faceapp.core.runtime import configure_tensorflow

    open_h5_weights(path).close()  # fail before the seconds-long build
    configure_tensorflow()
    model = build_inception_resnet_v1(INPUT_SIZE)
    n = load_h5_weights(model, path)
    log.info("FaceNet: loaded %d layers from %s", n, path)
    return model


def load_fused_model(path: Path) -> keras.Model:
    """Return the network of a weights file with its batch normalisations folded in.

    Raises
    ------
    ModelError
        As :func:`load_model`.
    """
    source = load_model(path)  # a damaged file fails here, before either network is built
    fused = build_inception_resnet_v1(INPUT_SIZE, fused=True)
    fold_batch_norm(source, fused)
    return fused
