"""One place that imports TensorFlow, keeping native start-up chatter out of the user's terminal."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from typing import Any

log = logging.getLogger(__name__)
_lock = threading.Lock()


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
    """
    with tempfile.TemporaryFile(mode="w+b") as sink:
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
    faceapp.core.embedder.ModelError
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
            from faceapp.core.embedder import ModelError

            raise ModelError(f"TensorFlow could not be loaded: {exc}") from exc
        tf.get_logger().setLevel(logging.ERROR)
        return tf
