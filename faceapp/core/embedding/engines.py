"""How the FaceNet network runs: TensorFlow graph or XLA, or a converted TensorFlow Lite model."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from faceapp.core.runtime import native_stderr_to_log, tflite_interpreter

if TYPE_CHECKING:
    import keras

log = logging.getLogger(__name__)

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

#: Part of a converted model's file name; bump when the conversion changes.
CONVERSION_VERSION = 1


def converted_model_name(weights_sha256: str, int8: bool = False) -> str:
    """Return the file name of the TensorFlow Lite model converted from given weights.

    The name holds the first 16 hex digits of the weights' SHA-256, the conversion's
    version and the quantisation, so a different file or conversion never reuses it.  A
    flatbuffer does not depend on the TensorFlow version that wrote it: any runtime of
    the same or a later version reads it.
    """
    return f"facenet-{weights_sha256[:16]}-v{CONVERSION_VERSION}{'-int8' if int8 else ''}.tflite"


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


def save_model_file(flatbuffer: bytes, target: Path) -> None:
    """Write a converted model atomically (a partial file never has the final name).

    Raises
    ------
    OSError
        When the folder cannot be created or written.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.part")
    try:
        tmp.write_bytes(flatbuffer)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


class TfliteRunner:
    """A TensorFlow Lite interpreter (XNNPACK delegate) that takes any batch size.

    The input tensor is resized to the batch given, which costs about a millisecond and
    only happens when the size changes, so no padding is computed.  LiteRT runs it where
    installed, TensorFlow's interpreter otherwise (:func:`faceapp.core.runtime.tflite_interpreter`).

    Parameters
    ----------
    flatbuffer : bytes
        The model, as :func:`convert_to_tflite` makes it.
    num_threads : int
        Threads of the interpreter's own pool (TensorFlow's pools are not used).

    Attributes
    ----------
    runtime : {"litert", "tensorflow"}
        Which interpreter runs the model.

    Notes
    -----
    Not thread-safe: one caller at a time.
    """

    def __init__(self, flatbuffer: bytes, num_threads: int) -> None:
        self._interpreter, self.runtime = tflite_interpreter(flatbuffer, num_threads)
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]
        self._shape: tuple[int, ...] | None = None

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        """Return the network's output for a float32 batch, shape ``(n, 128)``."""
        if batch.shape != self._shape:
            with native_stderr_to_log("TensorFlow Lite"):
                self._interpreter.resize_tensor_input(self._input, list(batch.shape))
                self._interpreter.allocate_tensors()
            self._shape = batch.shape
        self._interpreter.set_tensor(self._input, np.ascontiguousarray(batch, np.float32))
        self._interpreter.invoke()
        return np.asarray(self._interpreter.get_tensor(self._output))


def bucket_size(n: int, batch_size: int) -> int:
    """Return the padded batch size the graph engines run ``n`` crops at."""
    for size in BUCKETS:
        if n <= size:
            return min(size, batch_size)
    return batch_size


def tf_function_runner(
    fused: keras.Model, jit: bool, batch_size: int
) -> Callable[[np.ndarray], np.ndarray]:
    """Return the network as a ``tf.function`` (with XLA when ``jit``) over padded batches.

    Batches are padded with zeros up to :func:`bucket_size`, so only a few shapes are
    traced or compiled; the caller drops the padded rows.
    """
    import tensorflow as tf

    if jit:
        infer = tf.function(lambda x: fused(x, training=False), jit_compile=True)
    else:
        infer = tf.function(lambda x: fused(x, training=False), reduce_retracing=True)

    def run(batch: np.ndarray) -> np.ndarray:
        size = bucket_size(len(batch), batch_size)
        if len(batch) < size:
            pad = np.zeros((size - len(batch), *batch.shape[1:]), np.float32)
            batch = np.concatenate([batch, pad])
        return np.asarray(infer(batch))

    return run
