"""The "not X" corrections under way, without Qt (session/naming_corrections.py)."""

from __future__ import annotations

import numpy as np

from faceapp.session.naming_corrections import Corrections, can_correct


class _Store:
    def __init__(self) -> None:
        self.added: list[tuple] = []

    def add_negative(self, person_id, embedding, crop, source=None) -> None:
        self.added.append((person_id, embedding.shape, crop, source))


def test_only_a_store_with_add_negative_keeps_corrections() -> None:
    assert can_correct(_Store())
    assert not can_correct(object())


def test_an_embedded_face_becomes_the_job_storing_its_correction() -> None:
    corrections = Corrections()
    corrections.start(3, 7, "Ann", "000.png")
    store = _Store()
    job, note = corrections.embedded(3, np.zeros(128, np.float32), b"jpeg")
    assert note == "Noted: that face is not Ann"
    assert job(store) == "Ann" and store.added == [(7, (128,), b"jpeg", "000.png")]
    assert corrections.embedded(3, np.zeros(128, np.float32), b"jpeg") is None  # answered


def test_a_failed_embedding_says_whose_correction_failed() -> None:
    corrections = Corrections()
    corrections.start(1, 7, "Ann", "live view")
    assert corrections.failed(1, "no face") == "Not corrected (Ann): no face"
    assert corrections.embedded(1, np.zeros(128, np.float32), b"") is None
