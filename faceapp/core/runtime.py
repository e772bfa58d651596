"""The one place that imports TensorFlow or LiteRT, with native chatter sent to the log."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import threading
import warnings
from collections.abc import Iterator
from typing import Any

from faceapp.core.errors import ModelError

log = logging.getLogger(__name__)
_lock = threading.Lock()
#: Held while file descriptor 2 is redirected: one redirection at a time, process-wide.
_stderr_lock = threading.RLock()


@contextlib.contextmanager
def native_stderr_to_log(what: str) -> Iterator[None]:
    """Capture what native code writes to file descriptor 2 and log it at DEBUG level.

    TensorFlow and TensorFlow Lite print informational lines straight to the process's
    standard error from C++; inside this block they go to this module's logger instead.
    Python-level errors still propagate normally.

    Parameters
    ----------
    what : str
        Names the operation in the log record.

    Notes
    -----
    File descriptor 2 belongs to the whole process, so blocks in different threads run
    one after the other (a lock), and lines other threads print meanwhile are captured
    too.  Nesting in one thread is allowed.
    """
    with _stderr_lock, tempfile.TemporaryFile(mode="w+b") as sink:
        saved = os.dup(2)
        try:
            sys.stderr.flush()
            os.dup2(sink.fileno(), 2)
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            chatter = sink.read().decode(errors="replace").strip()
            if chatter:
                log.debug("%s printed:\n%s", what, chatter)


def configure_tensorflow() -> Any:
    """Import TensorFlow once and return the module.

    Raises
    ------
    ModelError
        When TensorFlow is not installed or fails to load.
    """
    with _lock:
        if "tensorflow" in sys.modules:
            return sys.modules["tensorflow"]
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        try:
            with native_stderr_to_log("TensorFlow start-up"):
                import tensorflow as tf
        except ImportError as exc:
            raise ModelError(f"TensorFlow could not be loaded: {exc}") from exc
        tf.get_logger().setLevel(logging.ERROR)
        return tf


def opencv_single_threaded() -> None:
    """Make OpenCV run each image operation in the thread that calls it, without a pool.

    The fast MTCNN detector asks for it when it runs on two threads of its own (two
    ``net.forward()`` calls at once on top of the pool once hung a test run), and the
    window at start.  In live video, whose threads (capture, recognition, the detector's
    helper) already work side by side, OpenCV's own workers, woken for the colour
    conversions and resizes of every frame, cost the window 5 % of a core at 30 fps
    (``benchmarks/gui_live.py``, CPU per thread).  A full detection of a 640x480 frame
    takes the same CPU either way (66.7 against 68.7 ms) and 5 ms longer (47 against
    42 ms).
    """
    import cv2

    if cv2.getNumThreads() != 1:  # setting it rebuilds the pool: only when it changes
        cv2.setNumThreads(1)


def usable_cpus() -> int:
    """Return how many CPUs this process may run on (its affinity mask where there is one)."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else (os.cpu_count() or 1)


def tflite_interpreter(model_content: bytes, num_threads: int) -> tuple[Any, str]:
    """Return a TensorFlow Lite interpreter for a flatbuffer, and which runtime made it.

    LiteRT (the ``ai-edge-litert`` package, TensorFlow Lite's standalone runtime) is
    preferred: it loads in a fraction of a second and a few tens of megabytes, where
    TensorFlow takes seconds and hundreds.  Without it, TensorFlow's own
    ``tf.lite.Interpreter`` runs the same model with the same XNNPACK kernels.

    Parameters
    ----------
    model_content : bytes
        The ``.tflite`` flatbuffer.
    num_threads : int
        Threads of the interpreter's own pool.

    Returns
    -------
    interpreter : object
        With the ``tf.lite.Interpreter`` methods (``allocate_tensors``, ``invoke``, ...).
    runtime : {"litert", "tensorflow"}

    Raises
    ------
    ModelError
        When neither runtime can be imported.
    ValueError
        When the flatbuffer is not a model the runtime can load.
    """
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        log.debug("LiteRT not installed; TensorFlow Lite runs inside TensorFlow")
    else:
        with native_stderr_to_log("LiteRT"):
            return Interpreter(model_content=model_content, num_threads=num_threads), "litert"
    tf = configure_tensorflow()
    with warnings.catch_warnings(), native_stderr_to_log("TensorFlow Lite"):
        # TF 2.21 still ships the interpreter but announces its move to ai_edge_litert.
        warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated")
        interpreter = tf.lite.Interpreter(model_content=model_content, num_threads=num_threads)
    return interpreter, "tensorflow"
