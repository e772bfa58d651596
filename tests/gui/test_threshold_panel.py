"""ThresholdPanel: one threshold per mode, its false accepts on LFW and the mode's default."""

from __future__ import annotations

import pytest

from faceapp.core.matching import PAIR_THRESHOLD, default_threshold, lfw_operating_point
from faceapp.core.pipeline import FacePipeline
from faceapp.gui.context import AppContext
from faceapp.gui.widgets.threshold_panel import ThresholdPanel, format_threshold
from faceapp.settings import Settings
from faceapp.storage.gallery import GalleryStore


@pytest.fixture()
def ctx(tmp_path, qapp):
    return AppContext(
        Settings(demo_offered=True), GalleryStore(tmp_path / "g.sqlite3"), FacePipeline()
    )


def test_each_mode_shows_and_sets_its_own_threshold(qtbot, ctx) -> None:
    panel = ThresholdPanel(ctx)
    qtbot.addWidget(panel)
    verification = default_threshold("verification")
    assert panel.value_label.text() == "1.07"
    assert panel.default_label.text().startswith("Recognition default: 1.07")
    recognition_point = lfw_operating_point(PAIR_THRESHOLD)
    assert f"{recognition_point.impostor_accepted:,} of 29.6" in panel.far_label.text()

    with qtbot.waitSignal(ctx.match_settings_changed) as changed:
        ctx.update_settings(mode="verification")
    assert changed.args[0].threshold == verification
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
    assert ctx.settings.threshold == PAIR_THRESHOLD  # recognition keeps its own
    assert panel.reset_button.isEnabled()
    panel.reset_button.click()
    assert ctx.settings.verification_threshold is None
    assert ctx.match_settings().threshold == verification

    ctx.update_settings(mode="recognition")
    assert panel.slider.value() == round(PAIR_THRESHOLD * 100)
    assert ctx.match_settings().threshold == PAIR_THRESHOLD
