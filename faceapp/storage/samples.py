"""How a sample's values are encoded in the gallery: embedding BLOBs and quality JSON."""

from __future__ import annotations

import json
import logging
import math
import sqlite3
from pathlib import Path

import numpy as np

from faceapp.core.matching import l2_normalize
from faceapp.core.quality import QualityFigures
from faceapp.storage.schema import GalleryError

log = logging.getLogger(__name__)

#: The schema version that added ``samples.quality`` (older files have no such column).
QUALITY_SCHEMA = 4

#: One sample to store: ``(embedding, thumbnail, source)``, or that and the quality figures.
NewSample = (
    tuple[np.ndarray, bytes | None, str | None]
    | tuple[np.ndarray, bytes | None, str | None, QualityFigures | None]
)

#: The keys of the quality JSON object, in the order written; each holds a finite number.
QUALITY_KEYS = ("size_px", "sharpness", "yaw_ratio", "roll_deg")


def embedding_blob(embedding: np.ndarray) -> tuple[bytes, int]:
    """Return the little-endian float32 bytes of the unit-length ``embedding`` and its dim.

    Raises
    ------
    ValueError
        When ``embedding`` is not a 1-D float array, or is not finite, or is all zero.
    """
    v = np.asarray(embedding)
    if v.ndim != 1 or v.size == 0 or not np.issubdtype(v.dtype, np.floating):
        raise ValueError(f"an embedding must be a 1-D float array, not {v.dtype}{v.shape}")
    v = v.astype(np.float64)
    norm = float(np.linalg.norm(v)) if np.isfinite(v).all() else float("nan")
    if not np.isfinite(norm) or norm == 0.0:
        raise ValueError("an embedding must be finite and not all zero")
    # Dividing in float64 first keeps huge-but-finite inputs from overflowing float32.
    return l2_normalize(v / norm).astype("<f4").tobytes(), int(v.size)


def sample_values(item: NewSample) -> tuple[bytes, int, bytes | None, str | None, str | None]:
    """Return ``(embedding BLOB, dim, thumbnail, source, quality JSON)`` of a sample to store.

    Raises
    ------
    ValueError, TypeError
        When a value is invalid (see :func:`embedding_blob` and :func:`quality_json`),
        the thumbnail is not bytes or None, or the source not a str or None.
    """
    embedding, thumb, source, *rest = item
    blob, dim = embedding_blob(embedding)
    if thumb is not None and not isinstance(thumb, (bytes, bytearray, memoryview)):
        raise TypeError("a thumbnail must be JPEG bytes or None")
    if source is not None and not isinstance(source, str):
        raise TypeError("a source must be a str or None")
    if len(rest) > 1:
        raise TypeError("a sample is (embedding, thumbnail, source[, quality])")
    quality = quality_json(rest[0] if rest else None)
    return blob, dim, None if thumb is None else bytes(thumb), source, quality


def decode_embedding(blob: bytes, dim: int, path: Path | str) -> np.ndarray:
    """Return a stored embedding as a read-only float32 array.

    Raises
    ------
    GalleryError
        When the BLOB's length disagrees with ``dim`` (a damaged file at ``path``).
    """
    if len(blob) != 4 * dim:
        raise GalleryError(f"{path}: damaged sample ({len(blob)} bytes for dim {dim})")
    v = np.frombuffer(blob, dtype="<f4").astype(np.float32)
    v.setflags(write=False)
    return v


def quality_dict(figures: QualityFigures) -> dict[str, float]:
    """Return ``figures`` as the JSON object stored: the keys of :data:`QUALITY_KEYS`.

    Raises
    ------
    TypeError
        When ``figures`` is not a :class:`QualityFigures`.
    ValueError
        When a figure is not a finite number.
    """
    if not isinstance(figures, QualityFigures):
        raise TypeError("quality figures must be a QualityFigures or None")
    values = {k: float(getattr(figures, k)) for k in QUALITY_KEYS}
    if not all(math.isfinite(v) for v in values.values()):
        raise ValueError(f"quality figures must be finite numbers, not {values}")
    return values


def figures_of(doc: object) -> QualityFigures:
    """Return the figures of a JSON object written by :func:`quality_dict`.

    Keys other than :data:`QUALITY_KEYS` are ignored (a later version may add some).

    Raises
    ------
    ValueError
        When ``doc`` is not an object with a finite number under each key.
    """
    if not isinstance(doc, dict):
        raise ValueError("quality figures must be a JSON object")
    values = []
    for key in QUALITY_KEYS:
        v = doc.get(key)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ValueError(f"quality figure {key!r} must be a finite number")
        values.append(float(v))
    return QualityFigures(*values)


def quality_json(figures: QualityFigures | None) -> str | None:
    """Return the JSON text stored for ``figures`` (None for None).

    The object has the keys of :data:`QUALITY_KEYS`, each a finite number written so that
    it reads back exactly, e.g. ``{"size_px": 146.0, "sharpness": 401.2, ...}``.

    Raises
    ------
    TypeError, ValueError
        See :func:`quality_dict`.
    """
    if figures is None:
        return None
    return json.dumps(quality_dict(figures), allow_nan=False)


def quality_from_json(text: str | None) -> QualityFigures | None:
    """Return the figures stored as ``text``; None for NULL or for text that is not valid.

    Unreadable text is logged and read as "not recorded": it never hides the sample.
    """
    if text is None:
        return None
    try:
        return figures_of(json.loads(text))
    except (ValueError, TypeError, RecursionError) as exc:
        log.warning("unreadable quality figures %.80r ignored (%s)", text, exc)
        return None


def quality_column(conn: sqlite3.Connection) -> str:
    """Return what to SELECT for a sample's quality: ``"quality"``, or ``"NULL"`` before schema 4.

    Reads never migrate a file, so a gallery of schema 3 is read as it is; its samples
    have no quality figures.
    """
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    return "quality" if version >= QUALITY_SCHEMA else "NULL"
