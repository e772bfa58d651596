"""What the threshold panel says in each state, without Qt (session/threshold_text.py)."""

from __future__ import annotations

import numpy as np

from faceapp.core.matching import DEFAULT_STRANGER_RATE, GalleryIndex, default_threshold
from faceapp.session.threshold_text import gallery_outlook, slider_in_force, threshold_view


def _index(people: int) -> GalleryIndex:
    rng = np.random.default_rng(0)
    samples = []
    for pid in range(1, people + 1):
        for _ in range(2):
            e = rng.normal(size=128).astype(np.float32)
            samples.append((pid, f"P{pid}", e / np.linalg.norm(e)))
    return GalleryIndex.from_samples(samples)


def test_the_outlook_counts_samples_per_person_and_no_people_when_empty() -> None:
    assert gallery_outlook(None, DEFAULT_STRANGER_RATE) == (None, 1.0)
    outlook, per_person = gallery_outlook(_index(3), DEFAULT_STRANGER_RATE)
    assert outlook is not None and outlook.people == 3 and per_person == 2.0
    empty, _ = gallery_outlook(GalleryIndex.empty(), DEFAULT_STRANGER_RATE)
    assert empty is not None and empty.people == 0


def test_the_automatic_rule_hides_the_false_accepts_and_says_what_it_does() -> None:
    view = threshold_view("recognition", 0.9, None, DEFAULT_STRANGER_RATE, 0.9, _index(3))
    assert view.value == "0.90 automatic" and view.far is None
    assert view.meaning.startswith("A face is named within 0.90") and view.outlook
    assert not view.reset_enabled and "automatic threshold" in view.reset_tip
    changed = threshold_view("recognition", 0.9, None, 0.1, 0.9, None)
    assert changed.reset_enabled


def test_a_pinned_distance_and_verification_show_their_false_accepts() -> None:
    pinned = threshold_view("recognition", 0.8, 0.8, DEFAULT_STRANGER_RATE, 0.9, _index(3))
    assert pinned.meaning.startswith("Fixed at ") and pinned.far and pinned.reset_enabled
    t = default_threshold("verification")
    verifying = threshold_view("verification", t, None, DEFAULT_STRANGER_RATE, 0.9, None)
    assert verifying.outlook is None and verifying.far and not verifying.reset_enabled
    assert threshold_view("verification", t + 0.1, t + 0.1, 0.01, 0.9, None).reset_enabled


def test_the_slider_fixed_box_and_reset_set_the_modes_own_settings():
    from faceapp.core.matching import DEFAULT_STRANGER_RATE
    from faceapp.session.threshold_text import fixed_change, reset_change, slider_change

    assert slider_change("recognition", 95) == {"threshold": 0.95}
    assert slider_change("verification", 110) == {"verification_threshold": 1.1}
    assert fixed_change(True, 1.0349) == {"threshold": 1.03}  # where the slider stands
    assert fixed_change(False, 1.0349) == {"threshold": None}
    assert reset_change("verification") == {"verification_threshold": None}
    assert reset_change("recognition") == {
        "threshold": None,
        "stranger_rate": DEFAULT_STRANGER_RATE,
    }


def test_the_slider_is_in_force_in_verification_or_when_recognition_is_pinned() -> None:
    assert slider_in_force("verification", None) and slider_in_force("verification", 0.6)
    assert slider_in_force("recognition", 0.8)
    assert not slider_in_force("recognition", None)  # the automatic rule sets it
