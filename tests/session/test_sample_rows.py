"""A stored sample as the samples dialog lists it, without Qt."""

from __future__ import annotations

import numpy as np

from faceapp.core.quality import QualityFigures
from faceapp.session.sample_quality import FAILED_MARK
from faceapp.session.sample_rows import (
    delete_question,
    delete_text,
    distance_text,
    sample_row,
    samples_hint,
    samples_title,
    source_text,
)
from faceapp.storage.gallery import Person, Sample


def test_a_sample_row_has_its_texts_keys_and_tip():
    sample = Sample(
        7,
        1,
        4,
        "/photos/ann.jpg",
        "2026-01-02T03:04:00+00:00",
        None,
        np.zeros(4, np.float32),
        QualityFigures(146.2, 401.4, 0.0612, -7.3),
    )
    row = sample_row(sample, 0.4321)
    assert (row.sample_id, row.source, row.where) == (7, "ann.jpg", "/photos/ann.jpg")
    assert row.added_key == ("2026-01-02T03:04:00+00:00", 7)
    assert row.tip.startswith("Sample 7 from /photos/ann.jpg, added 2026-01-02T03:04:00+00:00")
    assert "Distance to the mean: 0.4321." in row.tip and row.quality.failed == 0
    assert source_text("capture") == "Camera capture" and source_text(None) == "unknown"
    assert distance_text(0.4321, False) == "0.43" and distance_text(1.2, True) == "⚠ 1.20"


def test_the_hint_counts_the_outliers_and_poor_samples():
    plain = samples_hint("Ann", 0.9, 0, 0)
    assert plain.startswith("Distance of each sample to Ann's mean") and "\n" not in plain
    assert "\n2 such samples here: consider deleting." in samples_hint("Ann", 0.9, 2, 0)
    assert "\n1 such sample here" in samples_hint("Ann", 0.9, 1, 0)
    assert f"\n{FAILED_MARK} marks a quality figure" in samples_hint("Ann", 0.9, 0, 1)


def test_the_title_and_the_delete_texts() -> None:
    title, heading = samples_title(Person(1, "Ann", 3, "2026-01-01T10:00:00"))
    assert title == "Samples of Ann" and heading.startswith("Ann — 3 ")
    assert (delete_text(0), delete_text(1), delete_text(4)) == (
        "Delete sample…",
        "Delete sample…",
        "Delete 4 samples…",
    )
    assert delete_question("Ann", 1) == "Delete this sample of Ann?\nThis cannot be undone."
    assert delete_question("Ann", 2).startswith("Delete these 2 samples of Ann?")
