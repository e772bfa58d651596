"""Quality figures of samples: stored by the GUI's enrolment, shown by the samples dialog."""

from __future__ import annotations

import pytest

from faceapp.core.images import load_image
from faceapp.core.pipeline import largest_face
from faceapp.core.quality import QualityFigures, assess_face
from faceapp.core.sources import letterbox
from faceapp.gui.dialogs.samples_dialog import QUALITY_FAILED_COLOR, SamplesDialog
from faceapp.session.sample_quality import FAILED_MARK, NOT_RECORDED, quality_text
from faceapp.session.samples_table import QUALITY

from .gui_helpers import ListSource, celebrity_photos, fake_pipeline, grey_frames, make_ctx


def _expected(pipeline, image) -> QualityFigures:
    """What ``assess_face`` measures on the largest face the model finds in ``image``."""
    return assess_face(image, largest_face(pipeline.detect(image))).figures


@pytest.mark.model
def test_add_photos_and_capture_store_the_figures_of_assess_face(
    qtbot, make_window, store, real_pipeline
):
    train = celebrity_photos("train")["madonna"]
    photos = [train[0], train[4]]
    ctx = make_ctx(store, real_pipeline)
    window = make_window(ctx, ListSource(grey_frames(), fps=5.0))
    with qtbot.waitSignal(window.enrolment.enrolled, timeout=60_000) as done:
        window.enrolment.enrol_files("Madonna", photos)
    assert done.args[1] == ["Madonna"]
    stored = store.samples("Madonna")
    assert [s.source for s in stored] == [str(p) for p in photos]
    for sample, photo in zip(stored, photos, strict=True):
        assert sample.quality == _expected(real_pipeline, load_image(photo))

    frame = letterbox(load_image(train[2]), (640, 480))
    frame.setflags(write=False)
    face = largest_face(real_pipeline.detect(frame))
    with qtbot.waitSignal(window.enrolment.enrolled, timeout=60_000) as done:
        window.enrolment.enrol_capture("Madonna", frame, face)
    assert done.args[1] == ["Madonna"]
    captured = store.samples("Madonna")[-1]
    assert captured.source == "capture"
    assert captured.quality == assess_face(frame, face).figures
    assert captured.quality.size_px > 80  # measured on the frame, not a default


GOOD = QualityFigures(146.2, 401.4, 0.0612, -7.3)
SMALL_AND_TILTED = QualityFigures(62.0, 250.0, 0.1, 31.0)


@pytest.fixture
def mixed_ctx(qtbot, store):
    """A gallery with one old sample (no figures), one good and one small and tilted."""
    import numpy as np

    rng = np.random.default_rng(3)
    base = rng.normal(size=128)
    store.add_samples("Ann", [(base + 0.1 * rng.normal(size=128), None, "old.jpg")])
    store.add_samples(
        "Ann",
        [
            (base + 0.1 * rng.normal(size=128), None, "good.jpg", GOOD),
            (base + 0.1 * rng.normal(size=128), None, "capture", SMALL_AND_TILTED),
        ],
    )
    ctx = make_ctx(store, fake_pipeline())
    ctx.start_gallery()
    qtbot.waitUntil(lambda: ctx.people_loaded)
    yield ctx
    ctx.stop_gallery()


def test_the_dialog_shows_the_figures_marks_failures_and_says_not_recorded(qtbot, mixed_ctx, store):
    dialog = SamplesDialog(mixed_ctx, mixed_ctx.person_named("Ann").id)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded):
        dialog.show()
    old, good, small = (s.id for s in store.samples("Ann"))

    def cell(sample_id):
        return dialog.table.item(dialog.row_of(sample_id), QUALITY)

    assert dialog.table.horizontalHeaderItem(QUALITY).text() == "Quality"
    assert cell(old).text() == NOT_RECORDED == "not recorded"
    assert "not recorded" in cell(old).toolTip()
    assert cell(good).text() == "146 px · sharp 401 · turn 0.06 · tilt 7°"
    assert FAILED_MARK not in cell(good).text()
    assert cell(good).foreground().color() != QUALITY_FAILED_COLOR
    assert "Sharpness: 401 (at least 20) — passes" in cell(good).toolTip()
    # The size (62 < 80 px) and the tilt (31 > 25 degrees) fail; they alone are marked.
    assert (
        cell(small).text()
        == f"{FAILED_MARK} 62 px · sharp 250 · turn 0.10 · {FAILED_MARK} tilt 31°"
    )
    assert cell(small).foreground().color() == QUALITY_FAILED_COLOR
    assert "Size: 62 px (at least 80) — FAILS" in cell(small).toolTip()
    assert "Head upright: tilt 31° (at most 25°) — FAILS" in cell(small).toolTip()

    assert "fails today's enrolment check" in dialog.hint_label.text()

    dialog.sort_combo.setCurrentText("Poorest quality first")
    assert dialog.sample_ids() == [small, good, old]


def test_quality_text_counts_failures() -> None:
    assert quality_text(None).failed == -1
    assert quality_text(GOOD).failed == 0
    assert quality_text(SMALL_AND_TILTED).failed == 2
