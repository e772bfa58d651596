"""``faceapp bench``'s live-mode section: what it reports (no figure is checked for speed)."""

from __future__ import annotations

import numbers

import pytest

from benchmarks.data import LFW_DIR
from benchmarks.suite import LIVE_FIGURES, bench_live, live_summary
from faceapp import paths


@pytest.mark.model
@pytest.mark.lfw
def test_the_live_section_reports_cost_latency_and_labels_against_the_reference() -> None:
    if not (LFW_DIR / "pairs.txt").is_file() or not (paths.celebrity_dir() / "val").is_dir():
        pytest.skip("needs LFW and the 5-celebrity photos")
    figures = bench_live(LFW_DIR, quick=True)
    assert set(figures) == {"camera", "load_average_start", "load_average_end"}
    assert list(figures["camera"]) == ["realtime", "virtual"]  # quick: the camera-like clip
    for run in figures["camera"].values():
        assert run["frames"] == 450 and run["face_frames"] > 0
        assert 0 < run["frames_processed"] <= run["frames"]
        assert 0.0 <= run["agreement"] <= 1.0 and run["wrong_names"] >= 0
        assert run["tensorflow_imported"] is False
    summary = live_summary(figures)
    assert list(summary) == [
        *LIVE_FIGURES,
        "live_agreement_virtual",
        "live_time_to_name_ms_max_virtual",
    ]
    for key, value in summary.items():
        assert value is None or isinstance(value, numbers.Real), (key, value)
    assert summary["live_peak_rss_mb"] > 0 and summary["live_cpu_per_video_second"] > 0
