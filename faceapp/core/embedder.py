"""FaceEmbedder protocol and the FaceNet (Inception-ResNet-v1) embedder in Keras 3.

The network is built in Keras, loaded from ``facenet_keras.h5`` by layer name, its batch
normalisations folded into the convolutions, and then run by one of three TensorFlow
execution paths (``engine``): a ``tf.function`` graph, the same with XLA, or TensorFlow
Lite with the XNNPACK delegate.  All three give the same embeddings (cosine >= 0.9999 to
the unfolded Keras model); ``benchmarks/embed_paths.py`` measures them.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

import numpy as np

from faceapp.core.matching import l2_normalize

if TYPE_CHECKING:
    import keras

log = logging.getLogger(__name__)

#: Side of the square RGB crop the FaceNet network takes, in pixels.
INPUT_SIZE = 160
#: Length of an embedding.
EMBEDDING_DIM = 128

Engine = Literal["auto", "graph", "xla", "tflite", "tflite-int8"]

#: The float32 execution paths; they give the same embeddings (cosine >= 0.9999).
ENGINES: tuple[str, ...] = ("graph", "xla", "tflite")

#: Opt-in paths that change the embeddings slightly, so "auto" never picks one.
#: ``"tflite-int8"``: TensorFlow Lite with int8 weights and activations quantised per
#: batch at run time (XNNPACK, AVX-512 VNNI here), about 3x faster than float32.  On LFW (6000
#: pairs, flip fusion on) it scores 0.9925 against float32's 0.9927 and TAR@FAR=1e-3
#: 0.982 against 0.983, with a cosine to the float32 embeddings of at least 0.997 (0.995
#: with flip fusion off); the best threshold moves from 1.070 to 1.088.
QUANTIZED_ENGINES: tuple[str, ...] = ("tflite-int8",)

#: What ``engine="auto"`` runs.  Measured with ``benchmarks/embed_paths.py`` (TF 2.21,
#: 2 Zen 4 cores, medians): TensorFlow Lite + XNNPACK takes 17 ms for one crop against
#: 26 ms for graph mode or XLA (32 ms against 47 and 41 ms with flip fusion), and at 16
#: crops is level with graph mode and ahead of XLA (15.0, 15.1 and 16.4 ms per crop).
#: When TensorFlow Lite cannot be used "auto" falls back to ``"graph"`` with a warning.
AUTO_ENGINE = "tflite"

#: Batch sizes the ``graph`` and ``xla`` engines pad to (each is a traced or compiled
#: shape); ``batch_size`` caps them.  TensorFlow Lite resizes its input to the exact batch.
BUCKETS = (1, 2, 4, 8)

#: Part of the converted model's cache key; bump when the conversion changes.
TFLITE_CACHE_VERSION = 1


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


def convert_to_tflite(fused: keras.Model, int8: bool = False) -> bytes:
    """Return a TensorFlow Lite flatbuffer of ``fused`` with a dynamic batch size.

    Parameters
    ----------
    fused : keras.Model
        The network to convert (any Keras model with one image input).
    int8 : bool
        False (default): no quantisation or other optimisation flag, so the TFLite
        graph computes the same function in float32.  True: dynamic-range quantisation
        (``tf.lite.Optimize.DEFAULT`` without a representative data set): int8 weights,
        activations quantised per batch at run time.

    Notes
    -----
    Takes several seconds (about 8 s on two cores).
    """
    import tensorflow as tf

    module = tf.Module()
    # Track the underlying tf.Variables so the converter can freeze them into constants.
    module.variables_ = [v.value for v in fused.variables]
    module.serve = tf.function(
        lambda x: fused(x, training=False),
        input_signature=[tf.TensorSpec([None, *fused.input_shape[1:]], tf.float32)],
    )
    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [module.serve.get_concrete_function()], module
    )
    if int8:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    return bytes(converter.convert())


class TfliteRunner:
    """A TensorFlow Lite interpreter (XNNPACK delegate) that takes any batch size.

    The input tensor is resized to the batch given, which costs about a millisecond and
    only happens when the size changes, so no padding is computed.

    Parameters
    ----------
    flatbuffer : bytes
        The model, as :func:`convert_to_tflite` makes it.
    num_threads : int
        Threads of the interpreter's own pool (TensorFlow's pools are not used).

    Notes
    -----
    Not thread-safe: one caller at a time.
    """

    def __init__(self, flatbuffer: bytes, num_threads: int) -> None:
        import tensorflow as tf

        from faceapp.core.tf_runtime import native_stderr_to_log

        with warnings.catch_warnings(), native_stderr_to_log("TensorFlow Lite"):
            # TF 2.21 still ships the interpreter but announces its move to ai_edge_litert.
            warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated")
            self._interpreter = tf.lite.Interpreter(
                model_content=flatbuffer, num_threads=num_threads
            )
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]
        self._shape: tuple[int, ...] | None = None

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        """Return the network's output for a float32 batch, shape ``(n, 128)``."""
        if batch.shape != self._shape:
            from faceapp.core.tf_runtime import native_stderr_to_log

            with native_stderr_to_log("TensorFlow Lite"):
                self._interpreter.resize_tensor_input(self._input, list(batch.shape))
                self._interpreter.allocate_tensors()
            self._shape = batch.shape
        self._interpreter.set_tensor(self._input, np.ascontiguousarray(batch, np.float32))
        self._interpreter.invoke()
        return np.asarray(self._interpreter.get_tensor(self._output))


def weights_sha256(path: Path) -> str:
    """Return the SHA-256 hex digest of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tflite_cache_path(weights: Path, tf_version: str, int8: bool = False) -> Path:
    """Return where the converted model of ``weights`` is cached: ``<weights dir>/.cache/``.

    The name holds the weights' SHA-256, the TensorFlow version, the quantisation and
    :data:`TFLITE_CACHE_VERSION`, so a different file or converter never reuses it.
    """
    key = f"{weights_sha256(weights)[:16]}-tf{tf_version}-v{TFLITE_CACHE_VERSION}"
    return weights.parent / ".cache" / f"facenet-{key}{'-int8' if int8 else ''}.tflite"


def _usable_cpus() -> int:
    """Return how many CPUs this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else (os.cpu_count() or 1)


class FaceNetEmbedder:
    """FaceNet Inception-ResNet-v1 (20170512-110547 lineage) with the Keras 3 backend.

    Parameters
    ----------
    weights : Path, optional
        The ``facenet_keras.h5`` file; defaults to the fetched one.
    flip : bool
        Also embed the horizontally mirrored crop and add the two raw embeddings before
        normalising (flip fusion); twice the compute, slightly more accurate.
    batch_size : int
        Largest batch passed to the network at once.  The ``graph`` and ``xla`` engines
        pad a batch up to a bucket size (1, 2, 4, 8 or ``batch_size``) so only a few
        shapes get traced or compiled; ``tflite`` runs the exact size.
    engine : {"auto", "graph", "xla", "tflite", "tflite-int8"}
        How the network runs.  The float32 engines (:data:`ENGINES`) give the same
        embeddings (cosine >= 0.9999): ``"graph"``, a ``tf.function``; ``"xla"``, the same
        with ``jit_compile=True`` (compiling each bucket takes seconds); ``"tflite"``, the
        network converted to TensorFlow Lite and run by the XNNPACK delegate.
        ``"auto"`` is :data:`AUTO_ENGINE`, the fastest measured, falling back to
        ``"graph"`` if TensorFlow Lite fails.  ``"tflite-int8"`` is the opt-in quantised
        model (see :data:`QUANTIZED_ENGINES`).  ``graph`` and ``xla`` use TensorFlow's
        process-wide thread pools, which this class leaves as they are (the detector
        shares them).
    num_threads : int, optional
        Threads for the TensorFlow Lite engines; defaults to the CPUs this process may use.
    cache : bool
        For the TensorFlow Lite engines: keep the converted model (90 MB, 23 MB for int8)
        in ``.cache/`` next to the weights, keyed by their SHA-256, so later start-ups
        skip the Keras build and the conversion (about 12 s of ``prepare`` becomes
        0.4 s).  Failing to write the cache only logs a warning.

    Notes
    -----
    ``embed`` and ``raw`` may be called from any thread; a lock serialises them.
    """

    input_size = INPUT_SIZE
    dim = EMBEDDING_DIM

    def __init__(
        self,
        weights: Path | None = None,
        flip: bool = True,
        batch_size: int = 16,
        engine: Engine = "auto",
        num_threads: int | None = None,
        cache: bool = True,
    ):
        if engine != "auto" and engine not in ENGINES + QUANTIZED_ENGINES:
            raise ValueError(
                f"unknown engine {engine!r}; choose 'auto' or one of {ENGINES + QUANTIZED_ENGINES}"
            )
        self.weights = weights
        self.flip = flip
        self.batch_size = max(1, int(batch_size))
        self.engine = engine
        self.num_threads = num_threads or _usable_cpus()
        self.cache = cache
        self._model: Any = None
        self._run: Callable[[np.ndarray], np.ndarray] | None = None
        self._active: str | None = None
        self._lock = threading.Lock()

    @property
    def ready(self) -> bool:
        """True once :meth:`prepare` has loaded the network."""
        return self._run is not None

    @property
    def active_engine(self) -> str | None:
        """The engine that runs (``"auto"`` resolved), or None before :meth:`prepare`."""
        return self._active

    def _weights_path(self) -> Path:
        from faceapp import paths

        return Path(self.weights) if self.weights else paths.facenet_weights_path()

    def prepare(self) -> None:
        """Build the network, load the weights and make the engine ready to run.

        Slow (seconds: up to ~15 s for a first ``tflite`` conversion or ``xla``
        compilation); call it once, off the GUI thread.

        Raises
        ------
        ModelError
            When the weights are missing or do not fit, or the requested engine (not
            ``"auto"``) cannot be set up.
        """
        with self._lock:
            if self._run is not None:
                return
            from faceapp.core.tf_runtime import configure_tensorflow

            configure_tensorflow()
            path = self._weights_path()
            engine = AUTO_ENGINE if self.engine == "auto" else self.engine
            if engine.startswith("tflite"):
                try:
                    self._run = self._prepare_tflite(path, int8=engine == "tflite-int8")
                except ModelError:
                    raise
                except Exception as exc:
                    if self.engine != "auto":
                        raise ModelError(f"TensorFlow Lite engine failed: {exc}") from exc
                    log.warning("TensorFlow Lite failed (%s); using graph mode", exc)
                    engine = "graph"
            if engine in ("graph", "xla"):
                self._run = self._prepare_tf(path, jit=engine == "xla")
            self._active = engine
            assert self._run is not None
            # Run the common shapes now so the first real call is fast.
            for n in sorted({1, min(self.batch_size, 2 if self.flip else 1)}):
                self._run(np.zeros((n, INPUT_SIZE, INPUT_SIZE, 3), np.float32))
            log.info("FaceNet: engine %s ready", engine)

    def _load_keras(self, path: Path) -> Any:
        """Return the network of ``path`` as loaded from the file (BN not folded)."""
        open_h5_weights(path).close()  # fail before the seconds-long build
        model = build_inception_resnet_v1(INPUT_SIZE)
        n = load_h5_weights(model, path)
        log.info("FaceNet: loaded %d layers from %s", n, path)
        return model

    def _fused_model(self, path: Path) -> Any:
        """Return the network of ``path`` with its batch normalisations folded."""
        fused = build_inception_resnet_v1(INPUT_SIZE, fused=True)
        fold_batch_norm(self._load_keras(path), fused)
        return fused

    def _prepare_tf(self, path: Path, jit: bool) -> Callable[[np.ndarray], np.ndarray]:
        import tensorflow as tf

        fused = self._fused_model(path)
        if jit:
            infer = tf.function(lambda x: fused(x, training=False), jit_compile=True)
        else:
            infer = tf.function(lambda x: fused(x, training=False), reduce_retracing=True)

        def run(batch: np.ndarray) -> np.ndarray:
            size = self._bucket(len(batch))
            if len(batch) < size:
                pad = np.zeros((size - len(batch), *batch.shape[1:]), np.float32)
                batch = np.concatenate([batch, pad])
            return np.asarray(infer(batch))

        return run

    def _prepare_tflite(self, path: Path, int8: bool) -> Callable[[np.ndarray], np.ndarray]:
        import tensorflow as tf

        cached: Path | None = None
        if self.cache and path.is_file():
            cached = tflite_cache_path(path, tf.__version__, int8)
            if cached.is_file():
                try:
                    runner = TfliteRunner(cached.read_bytes(), self.num_threads)
                except (OSError, ValueError, RuntimeError) as exc:
                    log.warning("ignoring unusable cached model %s: %s", cached, exc)
                else:
                    log.info("FaceNet: TensorFlow Lite model loaded from cache %s", cached)
                    return runner
        flatbuffer = convert_to_tflite(self._fused_model(path), int8)
        log.info("FaceNet: converted to TensorFlow Lite (%.1f MB)", len(flatbuffer) / 2**20)
        if cached is not None:
            try:
                cached.parent.mkdir(parents=True, exist_ok=True)
                tmp = cached.with_suffix(f".{os.getpid()}.part")
                tmp.write_bytes(flatbuffer)
                os.replace(tmp, cached)
            except OSError as exc:
                log.warning("could not cache the converted model at %s: %s", cached, exc)
        return TfliteRunner(flatbuffer, self.num_threads)

    @property
    def model(self) -> Any:
        """The ``keras.Model`` as loaded from the weights file, batch norms not folded.

        The engines run a folded copy; this one is built and loaded on first access
        (seconds), for training or inspection.
        """
        with self._lock:
            if self._model is None:
                from faceapp.core.tf_runtime import configure_tensorflow

                configure_tensorflow()
                self._model = self._load_keras(self._weights_path())
        return self._model

    def _bucket(self, n: int) -> int:
        for size in BUCKETS:
            if n <= size:
                return min(size, self.batch_size)
        return self.batch_size

    def raw(self, batch: np.ndarray) -> np.ndarray:
        """Run the network on standardised images and return unnormalised embeddings.

        Parameters
        ----------
        batch : ndarray, shape (n, 160, 160, 3)
            Images as :func:`prewhiten` returns them.

        Returns
        -------
        ndarray, shape (n, 128), float32
        """
        self.prepare()
        assert self._run is not None
        batch = np.asarray(batch, np.float32)
        out = []
        with self._lock:
            for start in range(0, len(batch), self.batch_size):
                chunk = batch[start : start + self.batch_size]
                out.append(self._run(chunk)[: len(chunk)])
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
        if self.flip:
            both = self.raw(np.concatenate([x, x[:, :, ::-1, :]]))
            emb = both[: len(x)] + both[len(x) :]
        else:
            emb = self.raw(x)
        return l2_normalize(emb)
