"""Small helpers the storage tests share: made-up embeddings and raw SQL reads."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np


def emb(seed: int, dim: int = 128) -> np.ndarray:
    """A made-up float32 embedding (not normalised), the same for the same seed."""
    return np.random.default_rng(seed).normal(size=dim).astype(np.float32)


def raw(path: Path, sql: str, args: tuple = ()) -> list[tuple]:
    """Run ``sql`` on the SQLite file at ``path`` directly (no gallery code) and fetch all."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()
