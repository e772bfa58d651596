"""Timing shared by the benchmarks: one timed call, repeated runs, min/median/max, the floor."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

T = TypeVar("T")

#: Floor for one FaceNet forward pass in float32 on this class of machine (from the
#: performance issue): 2.83 GFLOP per 160 x 160 face at 157 GFLOP/s, the peak of two AVX2
#: cores at 2.45 GHz.
FACENET_GFLOP = 2.83
PEAK_GFLOPS = 157.0
FLOAT32_FLOOR_MS = FACENET_GFLOP / PEAK_GFLOPS * 1000.0


@dataclass(frozen=True)
class Timed(Generic[T]):
    """What one timed call returned and how long it took.

    Attributes
    ----------
    result
        The call's return value.
    ms : float
        Wall time of the call in milliseconds.
    others_cpu : float
        CPU cores that other processes used meanwhile (NaN off Linux).  Clock ticks are
        10 ms, so short calls read a little off; never below zero.
    """

    result: T
    ms: float
    others_cpu: float


def _cpu_snapshot() -> tuple[int, int] | None:
    """Return (busy jiffies of the machine, jiffies of this process), or None off Linux."""
    try:
        with open("/proc/stat") as fh:
            v = [int(f) for f in fh.readline().split()[1:]]
        with open("/proc/self/stat") as fh:
            s = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return v[0] + v[1] + v[2] + v[5] + v[6] + v[7], int(s[11]) + int(s[12])


def time_call(fn: Callable[[], T]) -> Timed[T]:
    """Run ``fn`` once and return its result, wall time and the other processes' CPU."""
    a = _cpu_snapshot()
    t0 = time.perf_counter()
    result = fn()
    wall = time.perf_counter() - t0
    b = _cpu_snapshot()
    if a is None or b is None or wall <= 0:
        others = float("nan")
    else:
        others = max(0.0, ((b[0] - a[0]) - (b[1] - a[1])) / os.sysconf("SC_CLK_TCK") / wall)
    return Timed(result, wall * 1000.0, others)


def timed(fn: Callable[[], object], repeats: int) -> list[float]:
    """Run ``fn`` ``repeats`` times and return each run's wall time in milliseconds."""
    return [time_call(fn).ms for _ in range(repeats)]


def stats(samples_ms: list[float]) -> dict[str, float]:
    """Return min / median / max of timings in milliseconds, rounded to 0.01 ms."""
    a = np.asarray(samples_ms, dtype=np.float64)
    return {
        "min": round(float(a.min()), 2),
        "median": round(float(np.median(a)), 2),
        "max": round(float(a.max()), 2),
    }
