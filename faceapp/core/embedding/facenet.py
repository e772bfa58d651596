"""FaceNetEmbedder: FaceNet (Inception-ResNet-v1, 128-d) from its h5 weights, on a chosen engine.

The network is built in Keras, loaded from ``facenet_keras.h5`` by layer name, its batch
normalisations folded into the convolutions (:mod:`.facenet_model`), and then run by one
of the engines of :mod:`.engines`: a ``tf.function`` graph, the same with XLA, or
TensorFlow Lite with the XNNPACK delegate.  All give the same embeddings (cosine >=
0.9999 to the unfolded Keras model); ``benchmarks/embed_paths.py`` measures them.  With a
converted model at hand, the TensorFlow Lite engine needs neither TensorFlow nor the
``.h5`` file: LiteRT runs it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from faceapp import paths
from faceapp.core.embedding.engines import (
    AUTO_ENGINE,
    ENGINES,
    QUANTIZED_ENGINES,
    Engine,
    TfliteRunner,
    convert_to_tflite,
    converted_model_name,
    save_model_file,
    tf_function_runner,
)
from faceapp.core.embedding.facenet_model import (
    EMBEDDING_DIM,
    INPUT_SIZE,
    load_fused_model,
    load_model,
    open_h5_weights,
    prewhiten,
)
from faceapp.core.errors import ModelError
from faceapp.core.matching import l2_normalize
from faceapp.core.runtime import configure_tensorflow, usable_cpus

log = logging.getLogger(__name__)


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
        For the TensorFlow Lite engines: use a converted model made earlier, and keep a
        new conversion (90 MB, 23 MB for int8) for next time.  Converted models are
        looked for in the weights folder (where ``faceapp weights convert`` and the
        packaged app put them; it may be read-only) and then in the user cache folder
        (:func:`faceapp.paths.user_cache_path`), where a new conversion is written.
        The file name holds the weights' SHA-256 (:func:`engines.converted_model_name`).
        A converted model skips TensorFlow, the Keras build and the conversion (about
        12 s of ``prepare`` becomes 0.4 s); failing to write one only logs a warning.
    weights_sha256 : str, optional
        SHA-256 of ``weights``, when known.  Defaults to hashing the file, or, when the
        default weights file is absent (the packaged app ships only the converted model),
        to its pinned hash in ``SHA256SUMS``.

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
        weights_sha256: str | None = None,
    ):
        if engine != "auto" and engine not in ENGINES + QUANTIZED_ENGINES:
            raise ValueError(
                f"unknown engine {engine!r}; choose 'auto' or one of {ENGINES + QUANTIZED_ENGINES}"
            )
        self.weights = weights
        self.flip = flip
        self.batch_size = max(1, int(batch_size))
        self.engine = engine
        self.num_threads = num_threads or usable_cpus()
        self.cache = cache
        self._sha256 = weights_sha256
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
        return Path(self.weights) if self.weights else paths.facenet_weights_path()

    def weights_sha256(self) -> str:
        """Return the SHA-256 of the weights: the model's identity.

        Raises
        ------
        ModelError
            When the weights file is missing and its hash is not known otherwise.
        """
        if self._sha256 is None:
            path = self._weights_path()
            if path.is_file():
                self._sha256 = paths.sha256_of(path)
            elif not self.weights and paths.FACENET_WEIGHTS in paths.pinned_hashes():
                self._sha256 = paths.pinned_hashes()[paths.FACENET_WEIGHTS]
            else:
                open_h5_weights(path)  # raises the usual "not found" error
        assert self._sha256 is not None
        return self._sha256

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
                configure_tensorflow()
                fused = load_fused_model(path)
                self._run = tf_function_runner(fused, engine == "xla", self.batch_size)
            self._active = engine
            assert self._run is not None
            # Run the common shapes now so the first real call is fast.
            for n in sorted({1, min(self.batch_size, 2 if self.flip else 1)}):
                self._run(np.zeros((n, INPUT_SIZE, INPUT_SIZE, 3), np.float32))
            log.info("FaceNet: engine %s ready", engine)

    def _prepare_tflite(self, path: Path, int8: bool) -> Callable[[np.ndarray], np.ndarray]:
        name = converted_model_name(self.weights_sha256(), int8) if self.cache else None
        if name is not None:
            for folder in (path.parent, paths.user_cache_path() / "models"):
                model_file = folder / name
                if not model_file.is_file():
                    continue
                try:
                    runner = TfliteRunner(model_file.read_bytes(), self.num_threads)
                except (OSError, ValueError, RuntimeError) as exc:
                    log.warning("ignoring unusable converted model %s: %s", model_file, exc)
                else:
                    log.info("FaceNet: %s runs %s", runner.runtime, model_file)
                    return runner
        configure_tensorflow()
        flatbuffer = convert_to_tflite(load_fused_model(path), int8)
        log.info("FaceNet: converted to TensorFlow Lite (%.1f MB)", len(flatbuffer) / 2**20)
        if name is not None:
            target = paths.user_cache_path() / "models" / name
            try:
                save_model_file(flatbuffer, target)
            except OSError as exc:
                log.warning("could not keep the converted model at %s: %s", target, exc)
        return TfliteRunner(flatbuffer, self.num_threads)

    @property
    def model(self) -> Any:
        """The ``keras.Model`` as loaded from the weights file, batch norms not folded.

        The engines run a folded copy; this one is built and loaded on first access
        (seconds), for training or inspection.
        """
        with self._lock:
            if self._model is None:
                configure_tensorflow()
                self._model = load_model(self._weights_path())
        return self._model

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
            RGB crops (uint8 or float), as made by :mod:`faceapp.core.embedding.align`.

        Returns
        -------
        ndarray, shape (n, 128), float32
            Unit-length embeddings.
        """
        return self._embed(crops, self.flip)

    def embed_once(self, crops: np.ndarray) -> np.ndarray:
        """Return embeddings from one pass per crop, without flip fusion whatever ``flip`` says.

        Half the work of :meth:`embed` with ``flip``; on LFW it scores 0.9925 against 0.9930
        (``docs/accuracy.md``).  Parameters and return as :meth:`embed`.
        """
        return self._embed(crops, False)

    def _embed(self, crops: np.ndarray, flip: bool) -> np.ndarray:
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
        if flip:
            both = self.raw(np.concatenate([x, x[:, :, ::-1, :]]))
            emb = both[: len(x)] + both[len(x) :]
        else:
            emb = self.raw(x)
        return l2_normalize(emb)
