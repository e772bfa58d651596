"""The samples dialog's table without Qt: sort choices, quality tones, outliers."""

from __future__ import annotations

import numpy as np
import pytest

from faceapp.core.quality import QualityFigures
from faceapp.session.samples_table import (
    ADDED,
    DISTANCE,
    QUALITY,
    SORTS,
    SampleListing,
    quality_tone,
    sort_choice,
)
from faceapp.storage.gallery import Sample


def _sample(sample_id: int, quality: QualityFigures | None) -> Sample:
    return Sample(
        sample_id, 1, 4, "capture", "2026-01-02T03:04:00+00:00", None, np.zeros(4), quality
    )


def test_a_header_click_finds_its_sort_choice_and_others_none():
    assert sort_choice(ADDED, False) == 0 and SORTS[0][0] == "Oldest first"
    assert SORTS[sort_choice(DISTANCE, True)][0] == "Farthest from the mean first"
    assert SORTS[sort_choice(QUALITY, True)][0] == "Poorest quality first"
    assert sort_choice(QUALITY, False) == -1


def test_quality_cells_are_toned_by_failing_checks():
    assert (quality_tone(2), quality_tone(-1), quality_tone(0)) == ("failed", "missing", "")


def test_the_listing_finds_distances_outliers_in_order_and_poor_samples():
    tiny = QualityFigures(10.0, 401.4, 0.06, -7.3)  # far too small a face
    good = QualityFigures(146.2, 401.4, 0.06, -7.3)
    samples = (_sample(1, good), _sample(2, tiny), _sample(3, None))
    listing = SampleListing.of(samples, (0.4, 1.3, 1.1))
    assert listing.distance(2) == 1.3
    with pytest.raises(KeyError):
        listing.distance(9)
    assert listing.outliers(1.0, [3, 1, 2]) == [3, 2]
    assert listing.outliers(1.2, [1, 2, 3]) == [2]
    assert listing.poor() == 1  # not recorded is not poor
    assert SampleListing().outliers(0.5, []) == [] and SampleListing().poor() == 0
