"""What the session tests share: a thread-safe record of callbacks, made-up embeddings."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

#: Seconds a test waits for a callback at most (a failure, never a measured figure).
WAIT_S = 20.0


def emb(seed: int, dim: int = 16) -> np.ndarray:
    """Return a made-up float32 embedding, the same for the same seed."""
    return np.random.default_rng(seed).normal(size=dim).astype(np.float32)


class Calls:
    """Records ``(name, args, thread name)`` of every callback, from any thread."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.calls: list[tuple[str, tuple, str]] = []

    def recorder(self, name: str) -> Callable[..., None]:
        """Return a callback that records its calls under ``name``."""

        def record(*args: object) -> None:
            with self._cond:
                self.calls.append((name, args, threading.current_thread().name))
                self._cond.notify_all()

        return record

    def of(self, name: str) -> list[tuple]:
        """Return the arguments of the calls of ``name``, in order."""
        with self._cond:
            return [args for n, args, _ in self.calls if n == name]

    def names(self) -> list[str]:
        """Return the names of the calls, in order."""
        with self._cond:
            return [n for n, _, _ in self.calls]

    def wait(self, until: Callable[[], bool]) -> None:
        """Block until ``until()`` is True (looked at after each call); fail after WAIT_S."""
        with self._cond:
            if not self._cond.wait_for(until, WAIT_S):
                raise AssertionError(f"not seen in {WAIT_S} s; calls: {self.names()}")

    def wait_for(self, name: str, count: int = 1) -> list[tuple]:
        """Block until ``name`` was called ``count`` times; return the arguments of each call."""
        self.wait(lambda: len([n for n, _, _ in self.calls if n == name]) >= count)
        return self.of(name)
