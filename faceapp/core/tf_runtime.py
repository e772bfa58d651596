"""One place that imports TensorFlow, keeping its start-up chatter out of the user's terminal."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import threading
from typing import Any

log = logging.getLogger(__name__)
_lock = threading.Lock()


def configure_tensorflow() -> Any:
    """Import TensorFlow once and return the module.

    TensorFlow's C++ runtime prints informational lines straight to file descriptor 2
    while it loads; they are captured during the import and sent to this module's
    logger at DEBUG level instead.

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
        with tempfile.TemporaryFile(mode="w+b") as sink:
            saved = os.dup(2)
            try:
                sys.stderr.flush()
                os.dup2(sink.fileno(), 2)
                try:
                    import tensorflow as tf
                finally:
                    os.dup2(saved, 2)
            except ImportError as exc:
                from faceapp.core.embedder import ModelError

                raise ModelError(f"TensorFlow could not be loaded: {exc}") from exc
            finally:
                os.close(saved)
            sink.seek(0)
            chatter = sink.read().decode(errors="replace").strip()
        if chatter:
            log.debug("TensorFlow start-up output:\n%s", chatter)
        tf.get_logger().setLevel(logging.ERROR)
        return tf
