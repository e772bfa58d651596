"""ThresholdPanel: recognition's stranger rate and gallery sentence, a fixed distance, 1:1."""

from __future__ import annotations

import math

import numpy as np
import pytest

from faceapp.core.matching import (
    DEFAULT_STRANGER_RATE,
    GalleryIndex,
    default_threshold,
    face_threshold,
    gallery_outlook,
    index_outlook,
    lfw_operating_point,
    measured_people,
)
from faceapp.core.pipeline import FacePipeline
from faceapp.gui.widgets.threshold_panel import ThresholdPanel
from faceapp.session.outlook_text import gallery_sentence, more_samples_text
from faceapp.session.threshold_text import format_threshold

from .gui_helpers import make_ctx


def _embedding(k: int) -> np.ndarray:
    """A unit vector of its own for person ``k`` (everybody 1.41 from everybody)."""
    return np.eye(1, 128, k, dtype=np.float32)[0]


@pytest.fixture()
def ctx(store, qtbot):
    """A context on an empty gallery, its gallery thread started and read."""
    ctx = make_ctx(store, FacePipeline())
    ctx.start_gallery()
    qtbot.waitUntil(lambda: ctx.gallery_index() is not None, timeout=10_000)
    yield ctx
    ctx.stop_gallery()


@pytest.fixture()
def panel(qtbot, ctx):
    panel = ThresholdPanel(ctx)
    qtbot.addWidget(panel)
    return panel


def _enrol(qtbot, ctx, first: int, n: int, samples: int = 1) -> GalleryIndex:
    """Enrol people ``first .. first + n - 1`` and wait for the new matching snapshot."""
    for k in range(first, first + n):
        items = [(_embedding(k), None, f"p{k}-{j}.jpg") for j in range(samples)]
        with qtbot.waitSignal(ctx.gallery_index_changed, timeout=10_000) as changed:
            ctx.gallery.add_samples(f"Person {k:02d}", items)
    return changed.args[0]


def _automatic(index: GalleryIndex, rate: float = DEFAULT_STRANGER_RATE) -> float:
    return face_threshold(index_outlook(index, rate).threshold, math.inf)


def test_the_sentence_and_the_automatic_distance_follow_the_gallery(qtbot, ctx, panel):
    assert panel.outlook_label.text() == "Nobody enrolled yet: every face is Unknown."
    assert not panel.pinned() and not panel.fixed_box.isChecked()
    assert panel.rate_combo.currentText() == "1 in 100"
    assert ctx.match_settings().threshold is None  # the automatic rule
    assert not panel.reset_button.isEnabled()

    index = _enrol(qtbot, ctx, 0, 3)
    named = gallery_outlook(3, DEFAULT_STRANGER_RATE, 1.0).named
    assert panel.outlook_label.text() == (
        "3 people enrolled: about 1 stranger in\u00a0100 would get someone's name; "
        f"enrolled people named about {named * 100:.0f}\u00a0% (one photo each, LFW)."
    )
    three = _automatic(index)
    assert panel.slider.value() == round(three * 100)
    assert panel.value_label.text() == f"{three:.2f} automatic"
    assert panel.meaning_label.text().startswith(f"A face is named within {three:.2f} of")
    assert ctx.distance_in_force() == pytest.approx(three)

    index = _enrol(qtbot, ctx, 3, 9)  # twelve people: a stricter automatic distance
    assert panel.outlook_label.text().startswith("12 people enrolled: about 1 stranger")
    assert _automatic(index) < three
    assert panel.slider.value() == round(_automatic(index) * 100)

    with qtbot.waitSignal(ctx.gallery_index_changed, timeout=10_000):
        ctx.gallery.remove_person(ctx.person_named("Person 00").id)
    assert panel.outlook_label.text().startswith("11 people enrolled")


def test_more_samples_per_person_are_said_and_counted(qtbot, ctx, panel):
    _enrol(qtbot, ctx, 0, 2, samples=3)
    named = gallery_outlook(2, DEFAULT_STRANGER_RATE, 3.0).named
    assert panel.outlook_label.text().endswith(
        f"named about {named * 100:.0f}\u00a0% (three photos each, LFW)."
    )


def test_a_stricter_rate_reaches_the_worker_settings_and_the_sentence(qtbot, ctx, panel):
    index = _enrol(qtbot, ctx, 0, 4)
    k = panel.rate_combo.findText("1 in 1,000")
    with qtbot.waitSignal(ctx.match_settings_changed) as changed:
        panel.rate_combo.setCurrentIndex(k)
        panel.rate_combo.activated.emit(k)
    assert changed.args[0].stranger_rate == 0.001 and changed.args[0].threshold is None
    assert ctx.settings.stranger_rate == 0.001
    assert "about 1 stranger in\u00a01,000 would get" in panel.outlook_label.text()
    assert panel.slider.value() == round(_automatic(index, 0.001) * 100)
    assert _automatic(index, 0.001) < _automatic(index)
    assert panel.reset_button.isEnabled()
    panel.reset_button.click()
    assert ctx.settings.stranger_rate == DEFAULT_STRANGER_RATE
    assert panel.rate_combo.currentText() == "1 in 100"


def test_a_fixed_distance_is_pinned_until_reset(qtbot, ctx, panel):
    index = _enrol(qtbot, ctx, 0, 3)
    automatic = round(_automatic(index), 2)
    with qtbot.waitSignal(ctx.match_settings_changed) as changed:
        panel.fixed_box.setChecked(True)
    assert changed.args[0].threshold == pytest.approx(automatic)  # pinned where it stood
    assert panel.pinned() and not panel.rate_combo.isEnabled()
    with qtbot.waitSignal(ctx.match_settings_changed) as changed:
        panel.slider.setValue(90)
    assert changed.args[0].threshold == pytest.approx(0.90)
    assert panel.meaning_label.text().startswith("Fixed at 0.90 — does not follow the gallery.")
    assert panel.outlook_label.text().startswith("3 people enrolled. With a fixed distance")
    point = lfw_operating_point(0.90)
    assert f"{point.impostor_accepted:,} of 29.6" in panel.far_label.text()

    _enrol(qtbot, ctx, 3, 5)  # more people: a fixed distance stays
    assert ctx.settings.threshold == pytest.approx(0.90)
    assert panel.slider.value() == 90
    assert ctx.distance_in_force() == pytest.approx(0.90)

    with qtbot.waitSignal(ctx.match_settings_changed) as changed:
        panel.reset_button.click()
    assert changed.args[0].threshold is None
    assert ctx.settings.threshold is None and not panel.fixed_box.isChecked()
    assert not panel.pinned() and panel.rate_combo.isEnabled()
    assert panel.outlook_label.text().startswith("8 people enrolled: about 1 stranger")
    assert not panel.reset_button.isEnabled()


def test_verification_keeps_its_own_one_to_one_threshold(qtbot, ctx, panel):
    verification = default_threshold("verification")
    with qtbot.waitSignal(ctx.match_settings_changed) as changed:
        ctx.update_settings(mode="verification")
    assert changed.args[0].threshold == verification
    assert panel.outlook_label.isHidden() and panel.fixed_box.isHidden()
    assert panel.pinned()
    assert panel.value_label.text() == format_threshold(verification)
    assert panel.default_label.text().startswith("Verification default")
    assert "1\u00a0in\u00a010,000" in panel.default_label.text()
    point = lfw_operating_point(verification)
    assert f"{point.impostor_accepted:,} of 29.6\u00a0M" in panel.far_label.text()
    assert not panel.reset_button.isEnabled()

    with qtbot.waitSignal(ctx.match_settings_changed) as changed:
        panel.slider.setValue(95)
    assert changed.args[0].threshold == pytest.approx(0.95)
    assert ctx.settings.verification_threshold == pytest.approx(0.95)
    assert ctx.settings.threshold is None  # recognition keeps its own (automatic)
    assert panel.reset_button.isEnabled()
    panel.reset_button.click()
    assert ctx.settings.verification_threshold is None
    assert ctx.match_settings().threshold == verification

    ctx.update_settings(mode="recognition")
    assert not panel.outlook_label.isHidden() and not panel.pinned()
    assert ctx.match_settings().threshold is None


def test_long_sentences_wrap_instead_of_widening_the_side_panel(qtbot, ctx, panel):
    _enrol(qtbot, ctx, 0, 2)
    panel.fixed_box.setChecked(True)  # the longest texts: fixed, with LFW's pairs
    assert len(panel.meaning_label.text()) > 80
    assert panel.minimumSizeHint().width() <= 330  # the side column's narrowest
    panel.resize(330, panel.heightForWidth(330) if panel.hasHeightForWidth() else 600)
    panel.show()
    qtbot.waitExposed(panel)
    for label in (panel.outlook_label, panel.meaning_label, panel.far_label):
        assert label.width() <= 330


def test_the_sentence_says_when_lfw_was_not_measured_that_far():
    big = gallery_outlook(5_000, DEFAULT_STRANGER_RATE, 1.0)
    assert not big.measured
    assert gallery_sentence(big).endswith("(estimated beyond 1,559 people)")
    assert measured_people(1.0) == 1_559
    small = gallery_outlook(1_559, DEFAULT_STRANGER_RATE, 1.0)
    assert small.measured and "estimated" not in gallery_sentence(small)
    assert gallery_sentence(None) == "Reading the gallery…"
    one = gallery_outlook(1, 0.1, 1.0)
    assert gallery_sentence(one).startswith("1 person enrolled: about 1 stranger in\u00a010 ")


def test_the_one_sample_hint_quotes_lfw_at_a_measured_size():
    limit = measured_people(3.0)
    text = more_samples_text(100_000, DEFAULT_STRANGER_RATE)
    three = gallery_outlook(limit, DEFAULT_STRANGER_RATE, 3.0).named
    one = gallery_outlook(limit, DEFAULT_STRANGER_RATE, 1.0).named
    assert three > one
    assert text == (
        "1 sample — more samples help: people with 3 are named more often "
        f"({three * 100:.0f}\u00a0% against {one * 100:.0f}\u00a0% with one, "
        f"{limit:,} people on LFW)."
    )
    assert "100 people on LFW" in more_samples_text(3, DEFAULT_STRANGER_RATE)
