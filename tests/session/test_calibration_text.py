"""The calibration report and the threshold in words, without Qt (synthetic vectors)."""

from __future__ import annotations

import numpy as np

from faceapp.core.calibration import ClosePair, calibration_report
from faceapp.core.matching import GalleryIndex
from faceapp.session.calibration_text import (
    Marker,
    accept_curves,
    closest_cells,
    closest_tips,
    column_header,
    empty_state,
    figure_rows,
    histogram_share,
    markers_of,
    percent,
    singles_text,
    summary_text,
    within_text,
)
from faceapp.session.threshold_text import describe_threshold, format_threshold
from faceapp.settings import Settings


def _unit(seed: int, dim: int = 8) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=dim).astype(np.float32)
    return v / np.linalg.norm(v)


def _report(samples_per_person: dict[str, int]):
    rows, k = [], 0
    for p, (name, n) in enumerate(samples_per_person.items()):
        centre = _unit(p)
        for _ in range(n):
            v = centre + 0.05 * _unit(100 + k)
            rows.append((p, name, v / np.linalg.norm(v)))
            k += 1
    index = GalleryIndex.from_samples(rows) if rows else GalleryIndex.empty()
    return calibration_report(index, {"recognition": 0.9, "verification": 0.7})


def test_the_report_in_words():
    report = _report({"Ann": 2, "Bob": 2, "Cy": 1})
    assert empty_state(report) is None
    assert summary_text(report) == (
        "3 people, 5 samples: 2 same-person and 8 different-people pairs of samples compared"
    )
    assert singles_text(report) == "One sample only (no same-person pairs): Cy"
    rows = dict(figure_rows(report.thresholds))
    assert rows["Same person accepted"][0].startswith("2 / 2 · 100.0 %")
    recognition = report.thresholds[0]
    assert column_header(recognition, True, True) == "Recognition 0.90\nautomatic (in use)"
    assert column_header(recognition, False, False) == "Recognition 0.90"


def test_an_empty_or_one_person_gallery_says_what_it_needs():
    assert empty_state(_report({})).startswith("The gallery is empty.")
    assert empty_state(_report({"Ann": 3})).startswith("The gallery has one person.")
    assert "1 of them with two samples" in empty_state(_report({"Ann": 2, "Bob": 1}))
    assert singles_text(_report({"Ann": 2, "Bob": 2})) == ""


def test_markers_and_numbers():
    settings = Settings(mode="verification", verification_threshold=0.65)
    recognition, verification = markers_of(settings, 0.87)
    assert recognition == Marker("recognition", 0.87, False, automatic=True)
    assert verification.text() == "verification 0.65 (in use)"
    assert recognition.text() == "recognition 0.87 automatic"
    assert percent(1, 3) == "33.3 %" and percent(1, 1000) == "0.1 %" and percent(0, 0) == "–"
    assert format_threshold(0.65) == "0.65" and format_threshold(0.6512) == "0.6512"
    assert describe_threshold(0.80, "recognition", 0.87).startswith("Stricter than automatic")


def test_a_closest_pair_row_names_both_and_gives_both_distances():
    report = _report({"Ann": 2, "Bob": 2})
    pair = report.closest[0]
    cells = closest_cells(pair)
    assert cells[:2] == [pair.person, pair.other] and {pair.person, pair.other} == {"Ann", "Bob"}
    assert cells[2:] == [f"{pair.distance:.3f}", f"{pair.centroid_distance:.3f}"]


def test_only_closest_distances_within_the_threshold_get_a_tip():
    pair = ClosePair("Ann", "Bob", 0.70, 0.90)
    within, above = closest_tips(pair, 0.80)
    assert within == within_text(0.80) and above is None
    assert closest_tips(pair, 0.90) == (within_text(0.90), within_text(0.90))  # at: within
    assert closest_tips(pair, 0.50) == (None, None)


def test_the_charts_curves_are_shares_and_rates_within_their_scales():
    assert list(histogram_share([1, 3], 4)) == [25.0, 75.0]
    assert list(histogram_share([0, 0], 0)) == [0.0, 0.0]
    curves = accept_curves(_report({"Ann": 2, "Bob": 2}), 1e-7)
    xs, far = curves["far"]
    assert len(xs) == len(far) and far.min() >= 1e-7 and far.max() <= 1.0
    _, tar = curves["tar"]
    assert tar.min() >= 0.0 and tar.max() <= 1.0 and not np.isnan(tar).any()
    assert set(curves) <= {"far", "tar", "lfw_far", "lfw_tar"}
