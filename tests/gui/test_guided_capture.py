"""Guided capture in the enrol dialog: real photos in three poses, spacing, saving, the warning."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from faceapp.core.images import load_image
from faceapp.core.matching import GalleryIndex
from faceapp.core.sources import Frame, ImageFolderSource, letterbox

from .gui_helpers import Recorder, letterboxed_folder, make_ctx

pytestmark = pytest.mark.model

#: Jerry Seinfeld's val photos 2, 3 and 4 face the camera, turn one way, turn the other.
POSE_PHOTOS = (2, 3, 4)


@pytest.fixture(scope="module")
def pose_frames(real_pipeline, val_photos):
    """``[(image, FrameResult)]`` of Jerry frontal, turned left, turned right (640x480).

    Processed once for the module: the images are read-only and no test changes a result.
    """
    out = []
    for k in POSE_PHOTOS:
        image = letterbox(load_image(val_photos["jerry_seinfeld"][k]), (640, 480))
        image.setflags(write=False)
        out.append((image, real_pipeline.process(image, GalleryIndex.empty())))
    return out


def test_guided_capture_takes_each_pose_once_spaced_in_time(
    qtbot, store, real_pipeline, pose_frames
):
    from faceapp.gui.dialogs.enrol_dialog import EnrolDialog

    ctx = make_ctx(store, real_pipeline)
    now = [100.0]
    shown = [None]

    def show(k):
        """A new processed frame of pose ``k`` (a new Frame object, as the stream gives)."""
        image, result = pose_frames[k]
        shown[0] = (Frame(image, k, now[0]), result)

    show(0)
    dialog = EnrolDialog(ctx, lambda: shown[0], "Jerry Seinfeld", clock=lambda: now[0])
    qtbot.addWidget(dialog)
    panel = dialog.guided_panel
    assert (
        dialog.guided and panel.isVisibleTo(dialog) and not dialog.retake_button.isVisibleTo(dialog)
    )
    qtbot.waitUntil(lambda: len(panel.taken.shots) == 1)  # frontal and good: taken by itself
    assert panel.progress_label.text() == "1 of 5 — now turn your head slightly to your left"
    assert not panel.thumbs[0].pixmap().isNull() and panel.thumbs[1].pixmap().isNull()
    assert "Head upright" in dialog.quality_label.text()  # the roll line of the checklist
    assert dialog.enrol_button.text() == "Save 1 sample" and dialog.enrol_button.isEnabled()

    # The next frames of the same frontal face are not taken again.
    now[0] += 2.0
    with qtbot.waitSignal(dialog.report_ready, timeout=10_000):
        show(0)
    assert len(panel.taken.shots) == 1
    assert panel.hint_label.text() == "Turn your head slightly to your left."

    # A turned face right after the last sample: too soon.
    now[0] = 100.0 + 0.1
    with qtbot.waitSignal(dialog.report_ready, timeout=10_000):
        show(1)
    assert len(panel.taken.shots) == 1 and panel.hint_label.text() == "Hold on a moment."
    now[0] += 1.0
    with qtbot.waitSignal(dialog.report_ready, timeout=10_000):
        show(1)
    assert len(panel.taken.shots) == 2
    assert panel.progress_label.text() == "2 of 5 — now turn your head slightly to your right"
    assert panel.progress_bar.value() == 2

    now[0] += 1.0
    with qtbot.waitSignal(dialog.report_ready, timeout=10_000):
        show(2)
    assert [s.pose for s in panel.capture.shots] == ["front", "left", "right"]
    assert panel.progress_label.text().startswith("3 of 5 — now tilt or turn your head")
    assert "(3 are enough to save)" in panel.progress_label.text()
    assert dialog.enrol_button.text() == "Save 3 samples"

    requested = Recorder(dialog.enrol_batch_requested)
    dialog.enrol_button.click()  # stop early and save what was taken
    qtbot.waitUntil(lambda: len(requested) == 1)
    name, shots = requested.last
    assert name == "Jerry Seinfeld"
    assert [image for image, _, _ in shots] == [pose_frames[k][0] for k in range(3)]


def test_single_mode_is_still_there(qtbot, store, real_pipeline, pose_frames):
    from faceapp.gui.dialogs.enrol_dialog import EnrolDialog

    ctx = make_ctx(store, real_pipeline)
    image, result = pose_frames[0]
    dialog = EnrolDialog(ctx, lambda: (Frame(image, 0, 0.0), result), "Jerry Seinfeld")
    qtbot.addWidget(dialog)
    dialog.single_radio.setChecked(True)
    assert not dialog.guided_panel.isVisibleTo(dialog) and dialog.retake_button.isVisibleTo(dialog)
    qtbot.waitUntil(lambda: dialog.offer.report is not None)
    assert dialog.enrol_button.text() == "Enrol" and dialog.enrol_button.isEnabled()
    assert dialog.guided_panel.taken.shots == []  # nothing is taken in single mode


@pytest.mark.parametrize("name", ["Jerry Seinfeld", "Madonna"])
def test_a_guided_capture_in_the_window_is_stored_or_warned_about(
    qtbot, make_window, demo_store, real_pipeline, val_photos, tmp_path, name
):
    """Jerry's three poses from a looping folder: stored for Jerry, a warning for Madonna."""
    photos = [val_photos["jerry_seinfeld"][k] for k in POSE_PHOTOS]
    folder = letterboxed_folder(tmp_path / "poses", photos)
    ctx = make_ctx(demo_store, real_pipeline)
    window = make_window(ctx, ImageFolderSource(folder, fps=3.0, loop=True))
    results = Recorder(ctx.result_ready)
    results.wait(qtbot, lambda args: len(args[0].faces) == 1, timeout=60_000)

    dialog = window.capture(name)
    panel = dialog.guided_panel
    qtbot.waitUntil(lambda: len(panel.taken.shots) == 3, timeout=60_000)
    assert {s.pose for s in panel.capture.shots} == {"front", "left", "right"}
    before = demo_store.find_person(name).n_samples
    if name == "Jerry Seinfeld":
        with qtbot.waitSignal(window.enrolment.enrolled, timeout=30_000) as enrolled:
            dialog.enrol_button.click()
        assert enrolled.args[1] == [name]
        assert demo_store.find_person(name).n_samples == before + 3
        return
    dialog.enrol_button.click()
    qtbot.waitUntil(lambda: bool(window.enrolment.warnings), timeout=30_000)
    (warning,) = window.enrolment.warnings.values()
    assert "3 of the 3 samples do not look like Madonna" in warning.intro.text()
    assert all("looks like Jerry Seinfeld" in m.text() for m in warning.messages)
    with qtbot.waitSignal(window.enrolment.enrolled, timeout=30_000) as enrolled:
        warning.skip_button.click()
    assert enrolled.args[1] == []
    assert demo_store.find_person(name).n_samples == before


def test_start_over_forgets_the_samples(qtbot, store, real_pipeline, pose_frames):
    from faceapp.gui.dialogs.enrol_dialog import EnrolDialog

    ctx = make_ctx(store, real_pipeline)
    image, result = pose_frames[0]
    dialog = EnrolDialog(ctx, lambda: (Frame(image, 0, 0.0), result), "Jerry Seinfeld")
    qtbot.addWidget(dialog)
    panel = dialog.guided_panel
    qtbot.waitUntil(lambda: len(panel.taken.shots) == 1)
    assert panel.captions[0].text() == "1 front"
    panel.restart_button.click()
    assert panel.taken.shots == [] and panel.capture.shots == ()
    assert panel.thumbs[0].pixmap().isNull() and panel.captions[0].text() == "1"
    assert dialog.enrol_button.text() == "Save 0 samples" and not dialog.enrol_button.isEnabled()
    assert panel.progress_label.text() == "0 of 5 — now look straight at the camera"


def test_the_next_dialog_starts_in_the_mode_the_user_chose_last(qtbot, store, real_pipeline):
    from faceapp.gui.dialogs.enrol_dialog import EnrolDialog

    ctx = make_ctx(store, real_pipeline)
    first = EnrolDialog(ctx, lambda: None)
    qtbot.addWidget(first)
    first.show()
    assert first.guided  # guided by default
    qtbot.mouseClick(first.single_radio, Qt.MouseButton.LeftButton)
    assert not first.guided and ctx.settings.guided_capture is False
    second = EnrolDialog(ctx, lambda: None)
    qtbot.addWidget(second)
    assert not second.guided
    third = EnrolDialog(ctx, lambda: None, guided=True)  # asked for: not a choice of the user
    qtbot.addWidget(third)
    assert third.guided and ctx.settings.guided_capture is False
