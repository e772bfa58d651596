"""LoopWorker._emitting: a session queue's callbacks wired to the worker's same-named signals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from PySide6.QtCore import Signal

from faceapp.gui.loop_worker import LoopWorker


@dataclass(frozen=True)
class _Callbacks:
    loaded: Callable[[int], None]
    failed: Callable[[str], None]


class _Worker(LoopWorker):
    loaded = Signal(int)
    failed = Signal(str)


def test_each_callback_emits_its_signal_unless_given_its_own(qtbot) -> None:
    worker = _Worker()
    got: list[object] = []
    worker.loaded.connect(got.append)
    callbacks = worker._emitting(_Callbacks, failed=lambda message: got.append("own " + message))
    callbacks.loaded(3)
    callbacks.failed("x")
    assert got == [3, "own x"]


def test_a_callback_without_a_signal_is_a_clear_error(qtbot) -> None:
    with pytest.raises(AttributeError, match="loaded"):
        LoopWorker()._emitting(_Callbacks)
