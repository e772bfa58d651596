"""One place that imports TensorFlow and quietens its start-up logging."""

from __future__ import annotations

import logging
import os
from typing import Any

log = logging.getLogger(__name__)
_configured = False


def configure_tensorflow() -> Any:
    """Import TensorFlow once, with its C++ and Python logging quietened, and return it.

    Raises
    ------
    faceapp.core.embedder.ModelError
        When TensorFlow is not installed.
    """
    global _configured
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    try:
        import tensorflow as tf
    except ImportError as exc:  # pragma: no cover - depends on the installation
        from faceapp.core.embedder import ModelError

        raise ModelError("TensorFlow is not installed: pip install tensorflow") from exc
    if not _configured:
        _configured = True
        tf.get_logger().setLevel(logging.ERROR)
    return tf
