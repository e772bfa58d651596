"""The main window end to end: sources and their failures, gallery edits, and real recognition."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from faceapp.core.matching import PAIR_THRESHOLD, default_threshold
from faceapp.core.sources import ImageFolderSource

from .gui_helpers import (
    CentreDetector,
    ListSource,
    Recorder,
    celebrity_photos,
    fake_pipeline,
    grey_frames,
    letterboxed_folder,
    make_ctx,
)

needs_demo = pytest.mark.skipif(
    not celebrity_photos("val"), reason="the 5-celebrity photos are absent (demo source)"
)


def _unit(k: int) -> np.ndarray:
    v = np.zeros(128, np.float32)
    v[k] = 1.0
    return v


@pytest.fixture
def small_store(store):
    store.add_samples("Ann", [(_unit(0), None, "a1.jpg"), (_unit(1), None, "a2.jpg")])
    store.add_samples("Bob", [(_unit(2), None, "b1.jpg")])
    return store


# -- sources ------------------------------------------------------------------------------


def test_frames_and_results_reach_the_view_and_status(qtbot, make_window, store):
    ctx = make_ctx(store, fake_pipeline())
    window = make_window(ctx, ListSource(grey_frames(), fps=50.0, name="grey"))
    with qtbot.waitSignal(ctx.result_ready, timeout=5000):
        pass
    qtbot.waitUntil(lambda: window.video_view.image() is not None)
    assert window.ctx.meters.shown.count > 0
    window._update_status()
    assert window.chrome.status_source.text() == "grey"
    assert "fps" in window.chrome.status_fps.text()
    assert window.chrome.status_faces.text() == "1 face"
    assert ctx.model_state == "ready"
    window.shutdown()
    assert not window.worker.is_running()


def test_source_failing_mid_stream_shows_the_error_and_the_app_keeps_running(
    qtbot, make_window, store
):
    ctx = make_ctx(store, fake_pipeline())
    # A file that fails (a live camera is reconnected instead: test_camera_lost.py).
    flaky = ListSource(grey_frames(), fail_after=3, live=False, name="flaky video")
    window = make_window(ctx, flaky)
    banner = window.source_banner
    qtbot.waitUntil(banner.isVisible, timeout=5000)
    assert banner.kind() == "error"
    assert "flaky video was unplugged" in banner.text()
    assert banner.action_titles() == ["Retry", "Use demo", "Choose source…"]
    assert window.capture_worker is None  # the failed capture thread was stopped
    assert window.worker.is_running()  # recognition keeps running

    banner.trigger("Retry")  # it opens again, delivers 3 frames, fails again
    qtbot.waitUntil(lambda: flaky.opened == 2 and banner.isVisible(), timeout=5000)
    assert "unplugged" in banner.text()

    other = ListSource(grey_frames(), fps=50.0, name="steady")
    window.open_source(other)
    with qtbot.waitSignal(window.source_started, timeout=5000) as started:
        pass
    assert started.args == ["steady"]
    assert not banner.isVisible()
    with qtbot.waitSignal(ctx.result_ready, timeout=5000):
        pass


def test_a_missing_video_file_is_explained(qtbot, make_window, store, tmp_path):
    ctx = make_ctx(store, fake_pipeline())
    window = make_window(ctx, str(tmp_path / "holiday.mp4"))
    assert window.source_banner.isVisible()
    assert window.source_banner.kind() == "error"
    assert "holiday.mp4" in window.source_banner.text()


def test_the_end_of_a_video_offers_to_play_it_again(qtbot, make_window, store):
    ctx = make_ctx(store, fake_pipeline())
    clip = ListSource(grey_frames(), fps=100.0, count=5, name="clip.mp4")
    window = make_window(ctx, clip)
    qtbot.waitUntil(window.source_banner.isVisible, timeout=5000)
    assert "clip.mp4 has ended" in window.source_banner.text()
    window.source_banner.trigger("Play again")
    qtbot.waitUntil(lambda: clip.opened == 2 and window.source_banner.isVisible(), timeout=5000)


@needs_demo
def test_first_run_with_an_empty_gallery_offers_the_demo_people(qtbot, make_window, store):
    from faceapp.gui.context import AppContext
    from faceapp.settings import Settings

    ctx = AppContext(Settings(source="demo"), store, fake_pipeline())
    window = make_window(ctx, None)
    qtbot.waitUntil(window.offer_banner.isVisible)  # once the people list is read
    assert "Enrol demo people" in window.offer_banner.action_titles()
    assert ctx.settings.demo_offered


# -- gallery edits --------------------------------------------------------------------------


def test_rename_and_delete_show_in_the_store(qtbot, make_window, small_store, monkeypatch):
    from faceapp.gui.widgets import gallery_panel

    ctx = make_ctx(small_store, fake_pipeline(), mode="verification", claim="Ann")
    window = make_window(ctx, ListSource(grey_frames(), fps=20.0))
    panel = window.gallery_panel
    qtbot.waitUntil(lambda: panel.names() == ["Ann", "Bob"])
    assert panel.count_label.text() == "2 people"

    panel.select("Ann")
    monkeypatch.setattr(gallery_panel, "ask_name", lambda *a, **k: "Anna Smith")
    with qtbot.waitSignal(ctx.gallery_changed):
        panel.rename_button.click()
    assert [p.name for p in small_store.people()] == ["Anna Smith", "Bob"]
    assert panel.names() == ["Anna Smith", "Bob"]
    assert ctx.settings.claim == "Anna Smith"  # the claim follows the rename
    assert window.mode_panel.claim_combo.currentText() == "Anna Smith"

    assert panel.selected_name() == "Anna Smith"  # the selection follows the moved row
    qtbot.waitUntil(lambda: "Anna Smith" in window.worker.loop.gallery_index().names)

    panel.select("Bob")
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warnings.append(a[2]))
    panel.rename_button.click()  # a name in use is refused with a message
    qtbot.waitUntil(lambda: bool(warnings))
    assert "already enrolled" in warnings[0]
    assert panel.names() == ["Anna Smith", "Bob"]

    panel.select("Anna Smith")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    panel.delete_button.click()
    assert small_store.find_person("Anna Smith") is not None

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(ctx.gallery_changed):
        panel.delete_button.click()
    assert [p.name for p in small_store.people()] == ["Bob"]
    assert panel.names() == ["Bob"]
    assert panel.count_label.text() == "1 person"
    assert ctx.settings.claim is None
    assert window.mode_panel.claim_combo.count() == 1


def test_a_person_with_one_sample_is_offered_guided_capture(
    qtbot, make_window, small_store, monkeypatch
):
    from faceapp.gui.dialogs.enrol_dialog import EnrolDialog
    from faceapp.session.outlook_text import more_samples_text

    ctx = make_ctx(small_store, fake_pipeline(), guided_capture=False)
    window = make_window(ctx, ListSource(grey_frames(), fps=20.0))
    panel = window.gallery_panel
    qtbot.waitUntil(lambda: panel.names() == ["Ann", "Bob"])
    assert panel.model.index(1).data() == "Bob\n1 sample · add more"
    panel.select("Ann")  # two samples: no hint
    assert panel.one_sample_row.isHidden() and panel.guided_action.isEnabled()
    panel.select("Bob")
    assert not panel.one_sample_row.isHidden()
    more = more_samples_text(2, ctx.settings.stranger_rate)
    assert panel.one_sample_label.text() == f"Bob: {more}"
    assert panel.guided_action in panel.people_list.actions()  # the list's context menu

    with qtbot.waitSignal(panel.guided_capture_requested) as asked:
        panel.guided_button.click()
    assert asked.args == ["Bob"]
    dialog = window.findChild(EnrolDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.guided  # guided, although the user's last choice was a single photo
    dialog.reject()

    with qtbot.waitSignal(ctx.gallery_changed):  # a second sample: the hint goes
        ctx.gallery.add_samples("Bob", [(_unit(3), None, "b2.jpg")])
    assert panel.one_sample_row.isHidden()
    assert panel.model.index(1).data() == "Bob\n2 samples"


def test_samples_dialog_deletes_one_sample(qtbot, make_window, small_store, monkeypatch):
    from faceapp.gui.dialogs.samples_dialog import SamplesDialog

    ctx = make_ctx(small_store, fake_pipeline())
    window = make_window(ctx, ListSource(grey_frames(), fps=20.0))
    panel = window.gallery_panel
    qtbot.waitUntil(lambda: panel.names() == ["Ann", "Bob"])
    assert panel.model.index(0).data() == "Ann\n2 samples"
    panel.select("Ann")
    panel.samples_button.click()
    dialog = panel.findChild(SamplesDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: len(dialog.sample_ids()) == 2)
    assert dialog.title_label.text() == "Ann — 2 samples"
    dialog.select_samples(dialog.sample_ids()[:1])
    first = dialog.sample_ids()[0]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(ctx.gallery_changed):
        dialog.delete_button.click()
    remaining = [s.id for s in small_store.samples("Ann")]
    assert first not in remaining and len(remaining) == 1
    qtbot.waitUntil(lambda: dialog.sample_ids() == remaining)
    assert dialog.title_label.text() == "Ann — 1 sample"
    assert panel.model.index(0).data() == "Ann\n1 sample · add more"
    dialog.close()


def test_closing_during_the_model_and_gallery_loads_does_not_wait_for_them(
    qtbot, make_window, small_store, monkeypatch
):
    model_gate, gallery_gate = threading.Event(), threading.Event()
    detector = CentreDetector(gate=model_gate)
    reading = threading.Event()
    people = small_store.people_in_steps

    def slow_people(*args, **kwargs):
        reading.set()
        gallery_gate.wait(60)
        return people(*args, **kwargs)

    monkeypatch.setattr(small_store, "people_in_steps", slow_people)
    ctx = make_ctx(small_store, fake_pipeline(detector))
    window = make_window(ctx, ListSource(grey_frames(), fps=20.0))
    assert detector.loading.wait(10) and reading.wait(10)
    window.close()  # both loads are blocked: a close that waited for either would hang
    assert not window.isVisible() and not window.worker.is_running()
    assert not model_gate.is_set() and not window.worker.loop.wait_for_model_load(0)
    model_gate.set()
    gallery_gate.set()
    assert window.worker.loop.wait_for_model_load(30)
    assert not ctx.people_loaded  # the abandoned read was not delivered


def test_threshold_panel_pins_a_distance_for_the_worker_and_resets(qtbot, make_window, store):
    ctx = make_ctx(store, fake_pipeline())
    window = make_window(ctx, ListSource(grey_frames(), fps=20.0))
    panel = window.threshold_panel
    assert not panel.pinned() and ctx.settings.threshold is None
    assert not panel.reset_button.isEnabled()
    with qtbot.waitSignal(ctx.match_settings_changed):
        panel.fixed_box.setChecked(True)
    with qtbot.waitSignal(ctx.match_settings_changed) as changed:
        panel.slider.setValue(60)
    assert changed.args[0].threshold == pytest.approx(0.60)
    qtbot.waitUntil(lambda: window.worker.loop.match_settings().threshold == pytest.approx(0.60))
    assert "Much stricter than automatic" in panel.meaning_label.text()
    panel.reset_button.click()
    assert ctx.settings.threshold is None and not panel.pinned()
    qtbot.waitUntil(lambda: window.worker.loop.match_settings().threshold is None)


# -- the real models ------------------------------------------------------------------------


def _named(result, name):
    return any(fr.label == name for fr in result.faces)


@pytest.mark.model
def test_capture_enrolment_adds_the_person_and_later_frames_name_them(
    qtbot, make_window, store, real_pipeline, val_photos, tmp_path
):
    from faceapp.gui.dialogs.enrol_dialog import EnrolDialog

    photos = val_photos["jerry_seinfeld"]
    folder = letterboxed_folder(tmp_path / "jerry", [photos[2], photos[4]])
    ctx = make_ctx(store, real_pipeline)
    window = make_window(ctx, ImageFolderSource(folder, fps=3.0, loop=True))
    results = []
    ctx.result_ready.connect(results.append)
    qtbot.waitUntil(lambda: any(len(r.faces) == 1 for r in results), timeout=60_000)
    assert not any(_named(r, "Jerry Seinfeld") for r in results)

    dialog = window.capture()
    assert isinstance(dialog, EnrolDialog)
    assert dialog.guided  # the default
    dialog.single_radio.setChecked(True)
    qtbot.waitUntil(lambda: not dialog.offer.checking)
    assert dialog.offer.report is not None and dialog.offer.report.ok, dialog.offer.report
    assert not dialog.enrol_button.isEnabled()  # no name yet
    dialog.name_edit.setText("Jerry Seinfeld")
    assert "new person" in dialog.name_hint.text()
    assert dialog.enrol_button.isEnabled()
    with qtbot.waitSignal(window.enrolment.enrolled, timeout=30_000) as enrolled:
        dialog.enrol_button.click()
    assert enrolled.args[1] == ["Jerry Seinfeld"]
    person = store.find_person("Jerry Seinfeld")
    assert person is not None and person.n_samples == 1
    assert window.gallery_panel.names() == ["Jerry Seinfeld"]

    enrolled_at = len(results)
    qtbot.waitUntil(
        lambda: sum(_named(r, "Jerry Seinfeld") for r in results[enrolled_at:]) >= 3,
        timeout=30_000,
    )

    # A second capture of the same person adds a sample instead of a new person.
    dialog = window.capture()
    dialog.single_radio.setChecked(True)
    qtbot.waitUntil(lambda: not dialog.offer.checking)
    dialog.name_edit.setText("jerry seinfeld")
    assert "Adds sample #2 to Jerry Seinfeld" in dialog.name_hint.text()
    with qtbot.waitSignal(window.enrolment.enrolled, timeout=30_000):
        dialog.enrol_button.click()
    assert [(p.name, p.n_samples) for p in store.people()] == [("Jerry Seinfeld", 2)]


@pytest.mark.model
def test_capture_dialog_explains_what_to_fix_instead_of_enrolling(
    qtbot, store, real_pipeline, val_photos
):
    import cv2

    from faceapp.core.images import load_image
    from faceapp.core.matching import GalleryIndex
    from faceapp.core.sources import Frame, letterbox
    from faceapp.gui.dialogs.enrol_dialog import EnrolDialog

    ctx = make_ctx(store, real_pipeline)
    turned = letterbox(load_image(val_photos["jerry_seinfeld"][1]), (640, 480))
    sharp = letterbox(load_image(val_photos["madonna"][0]), (640, 480))
    blurred = cv2.GaussianBlur(sharp, (0, 0), 6.0)
    snapshots = []
    for image in (turned, blurred, sharp):
        image.setflags(write=False)
        snapshots.append((Frame(image, 0, 0.0), real_pipeline.process(image, GalleryIndex.empty())))

    dialog = EnrolDialog(ctx, lambda: snapshots[0], "Jerry Seinfeld", guided=False)
    qtbot.addWidget(dialog)
    assert dialog.offer.checking and not dialog.enrol_button.isEnabled()
    qtbot.waitUntil(lambda: not dialog.offer.checking)
    assert not dialog.offer.report.ok
    assert any("Look straight at the camera" in p for p in dialog.offer.report.problems)
    assert "Look straight" in dialog.quality_label.text()
    assert not dialog.enrol_button.isEnabled()

    dialog._snapshot = lambda: snapshots[1]
    with qtbot.waitSignal(dialog.report_ready):
        dialog.retake_button.click()
    assert any("blurred" in p for p in dialog.offer.report.problems)
    assert not dialog.enrol_button.isEnabled()

    dialog._snapshot = lambda: snapshots[2]
    with qtbot.waitSignal(dialog.report_ready):
        dialog.retake_button.click()
    assert dialog.offer.report.ok
    assert dialog.enrol_button.isEnabled()
    requested = Recorder(dialog.enrol_requested)
    dialog.enrol_button.click()
    qtbot.waitUntil(lambda: len(requested) == 1)
    name, image, face, report = requested.last
    assert name == "Jerry Seinfeld" and image is sharp and face is dialog.offer.face
    assert report is dialog.offer.report  # the check of this face in this frame travels with it


@pytest.mark.model
def test_the_slider_changes_decisions_on_screen(
    qtbot, make_window, demo_store, real_pipeline, val_photos, tmp_path
):
    folder = letterboxed_folder(tmp_path / "one", [val_photos["jerry_seinfeld"][2]])
    ctx = make_ctx(demo_store, real_pipeline)
    window = make_window(ctx, ImageFolderSource(folder, fps=2.0, loop=True))
    current = Recorder(ctx.current_result_changed)

    def shown(name, threshold=None):
        def check(args):
            r = args[0]
            return (
                r is not None
                and len(r.faces) == 1
                and (threshold is None or r.faces[0].match.threshold == pytest.approx(threshold))
                and r.faces[0].label == name
            )

        return check

    current.wait(qtbot, shown("Jerry Seinfeld"), timeout=60_000)  # the automatic rule
    match = current.last[0].faces[0].match
    assert match.distance < 0.6 and match.threshold < PAIR_THRESHOLD

    window.threshold_panel.fixed_box.setChecked(True)
    window.threshold_panel.slider.setValue(30)  # stricter than this face's distance
    current.wait(qtbot, shown("maybe Jerry Seinfeld?", 0.30), timeout=10_000)
    assert window.video_view.visible_result().faces[0].maybe == "Jerry Seinfeld"
    assert "maybe Jerry Seinfeld?" in window.mode_panel.in_view_label.text()

    current.calls.clear()  # what follows the reset
    window.threshold_panel.reset_button.click()
    # The automatic rule again, with the face's own threshold.
    current.wait(qtbot, shown("Jerry Seinfeld", match.threshold), timeout=10_000)


@pytest.mark.model
def test_verification_accepts_the_claimed_person_and_rejects_another(
    qtbot, make_window, demo_store, real_pipeline, val_photos, tmp_path
):
    folder = letterboxed_folder(tmp_path / "one", [val_photos["madonna"][0]])
    ctx = make_ctx(demo_store, real_pipeline, liveness=False)  # a photo cannot turn its head
    window = make_window(ctx, ImageFolderSource(folder, fps=2.0, loop=True))
    panel = window.mode_panel
    panel.verification_button.click()
    assert ctx.settings.mode == "verification"
    assert panel.claim_combo.isVisible()
    qtbot.waitUntil(lambda: panel.claim_combo.count() == 5)  # once the people are read
    assert [panel.claim_combo.itemText(i) for i in range(panel.claim_combo.count())] == [
        "Ben Afflek",
        "Elton John",
        "Jerry Seinfeld",
        "Madonna",
        "Mindy Kaling",
    ]

    def choose(name):
        i = panel.claim_combo.findText(name)
        panel.claim_combo.setCurrentIndex(i)
        panel.claim_combo.activated.emit(i)
        assert ctx.settings.claim == name

    verification = default_threshold("verification")  # stricter than recognition's 1.07
    assert ctx.match_settings().threshold == verification < PAIR_THRESHOLD
    choose("Madonna")
    qtbot.waitUntil(lambda: panel.verdict_label.text() == "ACCEPT", timeout=60_000)
    assert panel.verdict_label.property("verdict") == "accept"
    assert f"≤ {verification:.2f}" in panel.detail_label.text()

    choose("Mindy Kaling")
    qtbot.waitUntil(lambda: panel.verdict_label.text() == "REJECT", timeout=10_000)
    assert panel.verdict_label.property("verdict") == "reject"
    assert f"> {verification:.2f}" in panel.detail_label.text()


@pytest.mark.model
def test_enrolling_photo_files_reports_bad_files_and_keeps_the_good(
    qtbot, make_window, store, real_pipeline, tmp_path
):
    import cv2

    train = celebrity_photos("train")["mindy_kaling"]
    bad = tmp_path / "notes.jpg"
    bad.write_text("not a photo")
    blank = tmp_path / "wall.png"
    cv2.imwrite(str(blank), np.full((240, 320, 3), 128, np.uint8))
    ctx = make_ctx(store, real_pipeline)
    window = make_window(ctx, ListSource(grey_frames(), fps=5.0))
    with qtbot.waitSignal(window.enrolment.enrolled, timeout=60_000) as enrolled:
        window.enrolment.enrol_files("Mindy Kaling", [train[0], bad, train[1], blank])
    outcome, names = enrolled.args
    assert names == ["Mindy Kaling"]
    assert len(outcome.samples) == 2
    assert len(outcome.errors) == 2
    assert "notes.jpg" in outcome.errors[0] and "wall.png" in outcome.errors[1]
    assert store.find_person("Mindy Kaling").n_samples == 2
    reports = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert reports and "2 skipped" in reports[0].text()
    reports[0].close()


@pytest.mark.model
def test_a_video_of_real_faces_names_the_enrolled_people(
    qtbot, make_window, demo_store, real_pipeline, val_photos, tmp_path
):
    from .make_video import make_video

    photos = [
        val_photos["jerry_seinfeld"][2],
        val_photos["madonna"][0],
        val_photos["mindy_kaling"][1],
    ]
    # One second (ten frames) of each: several are processed per person even when busy.
    video = make_video(tmp_path / "faces.avi", photos, seconds_per_photo=1.0, fps=10.0)
    ctx = make_ctx(demo_store, real_pipeline)
    window = make_window(ctx, str(video))
    names = set()
    ctx.result_ready.connect(lambda r: names.update(fr.label for fr in r.faces))
    qtbot.waitUntil(lambda: {"Jerry Seinfeld", "Madonna", "Mindy Kaling"} <= names, timeout=60_000)
    assert window.chrome.status_source.text() == "faces.avi"
    assert any(fr.track_id is not None for fr in ctx.current_result().faces)  # tracking on
