"""Timing helpers shared by the benchmarks: repeated wall-clock runs and min/median/max."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np


def stats(samples_ms: list[float]) -> dict[str, float]:
    """Return min / median / max of timings in milliseconds, rounded to 0.01 ms."""
    a = np.asarray(samples_ms, dtype=np.float64)
    return {
        "min": round(float(a.min()), 2),
        "median": round(float(np.median(a)), 2),
        "max": round(float(a.max()), 2),
    }


def timed(fn: Callable[[], Any], repeats: int) -> list[float]:
    """Run ``fn`` ``repeats`` times and return each run's wall time in milliseconds."""
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000.0)
    return out
