"""The calibration dialog on real galleries: charts show the report, lines the thresholds."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from faceapp.core.calibration import calibration_report
from faceapp.core.matching import automatic_distance

from .gui_helpers import ListSource, celebrity_photos, fake_pipeline, grey_frames, make_ctx

#: Train photos enrolled per person: 5 people x 4 samples = 30 same-person and 160
#: different-person pairs.
PER_PERSON = 4


@pytest.fixture(scope="session")
def train_samples(real_pipeline):
    """``{display name: [(embedding, thumbnail, source)]}``: 4 real train photos each."""
    from faceapp.core.images import load_image
    from faceapp.enrolment import prepare_sample

    out = {}
    for folder, photos in celebrity_photos("train").items():
        items = []
        for photo in photos[:PER_PERSON]:
            s = prepare_sample(real_pipeline, load_image(photo), photo.name, largest=True)
            items.append((s.embedding, s.thumbnail, s.source))
        out[folder.replace("_", " ").title()] = items
    return out


@pytest.fixture
def open_dialog(qtbot):
    """Return ``open(ctx) -> CalibrationDialog`` showing a report; closed after the test."""
    from faceapp.gui.dialogs.calibration_dialog import CalibrationDialog

    opened = []

    def open_(ctx):
        ctx.start_gallery()
        opened.append((None, ctx))
        qtbot.waitUntil(lambda: ctx.gallery_index() is not None, timeout=20_000)
        dialog = CalibrationDialog(ctx)
        qtbot.addWidget(dialog)
        opened.append((dialog, ctx))
        dialog.show()
        qtbot.waitUntil(lambda: dialog.report is not None, timeout=30_000)
        return dialog

    yield open_
    for dialog, ctx in reversed(opened):
        if dialog is not None:
            dialog.close()
        ctx.stop_gallery()


def _counts(curve, total: int) -> np.ndarray:
    """Pairs per bin from a histogram outline (its y values are percentages of ``total``)."""
    _, y = curve.getOriginalDataset()
    return np.rint(np.asarray(y) * total / 100.0).astype(np.int64)


def _thresholds(ctx) -> dict[str, float]:
    return {m: ctx.distance_in_force(m) for m in ("recognition", "verification")}


def test_the_histograms_hold_the_reports_pair_counts(
    qtbot, open_dialog, store, train_samples, real_pipeline
):
    for name, items in train_samples.items():
        store.add_samples(name, items)
    ctx = make_ctx(store, real_pipeline)
    dialog = open_dialog(ctx)
    expected = calibration_report(store.index(), _thresholds(ctx))
    people = len(train_samples)
    assert (expected.genuine_pairs, expected.impostor_pairs) == (
        people * PER_PERSON * (PER_PERSON - 1) // 2,
        (people * PER_PERSON) * (people * PER_PERSON - 1) // 2
        - people * PER_PERSON * (PER_PERSON - 1) // 2,
    )
    assert dialog.stack.currentIndex() == 1  # the charts, not an empty state
    charts = dialog.charts
    genuine = _counts(charts.genuine_curve, expected.genuine_pairs)
    impostor = _counts(charts.impostor_curve, expected.impostor_pairs)
    assert np.array_equal(genuine, expected.genuine_hist)
    assert np.array_equal(impostor, expected.impostor_hist)
    assert genuine.sum() == 30 and impostor.sum() == 160
    x, _ = charts.genuine_curve.getOriginalDataset()
    assert np.allclose(x, expected.bin_edges)
    assert f"({expected.genuine_pairs:,} pairs)" in charts.genuine_curve.name()
    # Real faces separate: same-person pairs sit left of different-person pairs.
    centres = (expected.bin_edges[:-1] + expected.bin_edges[1:]) / 2
    assert np.average(centres, weights=genuine) < np.average(centres, weights=impostor)
    # The figures table says what the report says, at the thresholds in force.
    recognition = expected.thresholds[0]
    assert (
        dialog.figures.item(0, 1)
        .text()
        .startswith(f"{recognition.impostor_accepted} / {recognition.impostor_pairs} ·")
    )
    assert (
        dialog.figures.item(1, 1)
        .text()
        .startswith(f"{recognition.genuine_accepted} / {recognition.genuine_pairs} ·")
    )
    # The closest pairs, with both names, closest first.
    rows = [
        (dialog.closest.item(r, 0).text(), dialog.closest.item(r, 1).text())
        for r in range(dialog.closest.rowCount())
    ]
    assert rows == [(c.person, c.other) for c in expected.closest]
    assert all(a in train_samples and b in train_samples for a, b in rows)


@pytest.fixture
def with_panel(qtbot, open_dialog, store, train_samples, real_pipeline):
    """The context, dialog and a threshold panel on a gallery of every person's samples."""
    from faceapp.gui.widgets.threshold_panel import ThresholdPanel

    for name, items in train_samples.items():
        store.add_samples(name, items)
    ctx = make_ctx(store, real_pipeline)
    dialog = open_dialog(ctx)
    panel = ThresholdPanel(ctx)
    qtbot.addWidget(panel)
    return ctx, dialog, panel


def test_the_threshold_lines_follow_the_slider_and_the_mode(qtbot, with_panel, store):
    ctx, dialog, panel = with_panel

    def positions(label: str) -> list[float]:
        return [round(line.value(), 4) for line in dialog.charts.lines[label]]

    # The automatic threshold of this gallery, for a face with no close runner-up.
    automatic = automatic_distance(store.index(), ctx.settings.stranger_rate)
    assert positions("recognition") == [round(automatic, 4)] * 3
    recognition = next(m for m in dialog.charts.markers() if m.label == "recognition")
    assert recognition.automatic and recognition.text().endswith(" automatic (in use)")
    assert dialog.charts.lines["recognition"][0].label.toPlainText() == recognition.text()
    header = dialog.figures.horizontalHeaderItem(1).text()
    assert header == f"Recognition {automatic:.2f}\nautomatic (in use)"
    before = dialog.report
    panel.fixed_box.setChecked(True)
    panel.slider.setValue(80)  # a fixed 0.80
    assert ctx.settings.threshold == pytest.approx(0.80)
    assert positions("recognition") == [0.8] * 3  # at once, before any report
    assert not next(m for m in dialog.charts.markers() if m.label == "recognition").automatic
    qtbot.waitUntil(lambda: dialog.report is not before, timeout=30_000)
    expected = calibration_report(store.index(), _thresholds(ctx))
    shown = dialog.report.thresholds[0]
    assert (shown.threshold, shown.genuine_accepted, shown.impostor_accepted) == (
        0.8,
        expected.thresholds[0].genuine_accepted,
        expected.thresholds[0].impostor_accepted,
    )
    assert dialog.figures.item(1, 1).text().startswith(f"{shown.genuine_accepted} / 30 ·")
    assert "1.07" not in dialog.figures.horizontalHeaderItem(1).text()
    # The verification threshold has its own line; the mode decides which one is in use.
    in_use = {m.label: m.in_use for m in dialog.charts.markers()}
    assert in_use == {"recognition": True, "verification": False}
    ctx.update_settings(mode="verification")
    panel.slider.setValue(70)
    assert positions("verification") == [0.7] * 3
    assert positions("recognition") == [0.8] * 3
    in_use = {m.label: m.in_use for m in dialog.charts.markers()}
    assert in_use == {"recognition": False, "verification": True}
    qtbot.waitUntil(lambda: dialog.report.thresholds[1].threshold == 0.7, timeout=30_000)
    assert "(in use)" in dialog.figures.horizontalHeaderItem(2).text()


def test_one_person_shows_what_is_needed_instead_of_charts(
    qtbot, open_dialog, store, train_samples, real_pipeline
):
    store.add_samples("Madonna", train_samples["Madonna"])
    ctx = make_ctx(store, real_pipeline)
    dialog = open_dialog(ctx)
    assert dialog.report.people == 1 and dialog.report.genuine_pairs == 6
    assert dialog.stack.currentWidget() is dialog.message
    assert "Need at least two people with two samples each" in dialog.message.text()
    assert "The gallery has one person." in dialog.message.text()
    assert dialog.summary.text().startswith("1 person, 4 samples: 6 same-person")
    # A second person with a single sample is not enough either; a second sample is.
    jerry = train_samples["Jerry Seinfeld"]
    with qtbot.waitSignal(ctx.gallery_index_changed, timeout=20_000):
        ctx.gallery.add_samples("Jerry Seinfeld", jerry[:1])
    qtbot.waitUntil(lambda: dialog.report.people == 2, timeout=30_000)
    assert dialog.stack.currentWidget() is dialog.message
    assert "2 people, 1 of them with two samples or more" in dialog.message.text()
    with qtbot.waitSignal(ctx.gallery_index_changed, timeout=20_000):
        ctx.gallery.add_samples("Jerry Seinfeld", jerry[1:2])
    qtbot.waitUntil(lambda: dialog.report.samples == 6, timeout=30_000)
    assert dialog.stack.currentIndex() == 1
    assert _counts(dialog.charts.genuine_curve, 7).sum() == 7  # 6 + 1 same-person pairs


def test_an_empty_gallery_says_so(qtbot, open_dialog, store):
    ctx = make_ctx(store, fake_pipeline())
    dialog = open_dialog(ctx)
    assert dialog.stack.currentWidget() is dialog.message
    assert dialog.message.text().startswith("The gallery is empty.")


def test_the_gallery_menu_opens_one_dialog_that_closes_with_the_window(qtbot, make_window, store):
    from faceapp.gui.dialogs.calibration_dialog import CalibrationDialog

    ctx = make_ctx(store, fake_pipeline())
    window = make_window(ctx, ListSource(grey_frames(), fps=20.0, name="grey"))
    action = window.chrome.calibration_action
    (gallery,) = [a.menu() for a in window.menuBar().actions() if a.text() == "&Gallery"]
    assert action in gallery.actions()
    action.trigger()
    dialogs = window.findChildren(CalibrationDialog)
    assert len(dialogs) == 1 and dialogs[0].isVisible()
    action.trigger()  # a second time: the same dialog comes to the front
    assert window.findChildren(CalibrationDialog) == dialogs
    qtbot.waitUntil(lambda: dialogs[0].report is not None, timeout=20_000)
    worker = dialogs[0]._worker
    assert worker.is_running()
    window.close()
    assert not worker.is_running()  # the dialog's thread ended with the window


def test_pyqtgraph_draws_with_pyside6_whatever_the_environment_says():
    code = (
        "import faceapp.gui.widgets.calibration_charts as c, sys; "
        "print(c.pg.Qt.QT_LIB, 'PyQt5' in sys.modules, 'PyQt6' in sys.modules)"
    )
    env = dict(os.environ, PYQTGRAPH_QT_LIB="PyQt6", QT_QPA_PLATFORM="offscreen")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["PySide6", "False", "False"]


def test_closing_does_not_wait_for_a_report_being_computed(qtbot, monkeypatch):
    import threading

    from faceapp.core.matching import GalleryIndex
    from faceapp.gui.calibration_worker import CalibrationWorker
    from faceapp.session import window_calibration

    started, release, ended = threading.Event(), threading.Event(), threading.Event()

    def slow_report(index, thresholds):  # a huge gallery: far longer than the test
        started.set()
        release.wait(30)
        ended.set()
        raise RuntimeError("abandoned")

    monkeypatch.setattr(window_calibration, "calibration_report", slow_report)
    worker = CalibrationWorker()
    reports = []
    worker.report_ready.connect(lambda ticket, r: reports.append(r))
    worker.start("test-calibration")
    worker.loop.request(GalleryIndex.from_samples([]), {"recognition": 1.0})
    assert started.wait(30)
    worker.stop()
    assert not worker.is_running()
    assert not ended.is_set()  # the stop did not wait for the report
    release.set()
    assert ended.wait(30)
    assert reports == []


def test_chart_items_replaced_are_deleted_at_once_not_left_to_the_garbage_collector(
    qtbot, with_panel
):
    """A moved threshold and a new report replace lines, curves and legend entries.

    The old ones are deleted in the event loop; left to Python's garbage collector, a
    collection could delete them while another chart paints (pyqtgraph#1628).
    """
    import shiboken6

    _, dialog, panel = with_panel
    charts = dialog.charts
    plots = (charts.histogram, charts.far_plot, charts.tar_plot)

    def chart_items() -> list:
        out = [line for lines in charts.lines.values() for line in lines]
        for plot in plots:
            out += plot.getPlotItem().listDataItems()
            out += [part for entry in plot.getPlotItem().legend.items for part in entry]
        return out

    before, report = chart_items(), dialog.report
    # 2 thresholds x 3 charts; 2 histograms and 2 x 2 rate curves (yours, LFW's), each
    # with a legend entry of 2 parts.
    assert len(before) == 6 + 6 + 6 * 2
    panel.fixed_box.setChecked(True)
    panel.slider.setValue(80)
    qtbot.waitUntil(lambda: dialog.report is not report, timeout=30_000)
    qtbot.waitUntil(lambda: not any(shiboken6.isValid(i) for i in before), timeout=5_000)
    after = chart_items()
    assert len(after) == len(before) and all(shiboken6.isValid(i) for i in after)
