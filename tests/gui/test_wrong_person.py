"""The wrong-person warning before samples are stored: add photos and capture, real model."""

from __future__ import annotations

import pytest

from faceapp.core.images import load_image
from faceapp.core.pipeline import largest_face
from faceapp.core.sources import letterbox

from .gui_helpers import ListSource, grey_frames, make_ctx


def _samples(store, name):
    person = store.find_person(name)
    return 0 if person is None else person.n_samples


@pytest.fixture
def window(qtbot, make_window, demo_store, real_pipeline):
    """A window over the five demo people (one sample each) and grey frames."""
    ctx = make_ctx(demo_store, real_pipeline)
    w = make_window(ctx, ListSource(grey_frames(), fps=5.0))
    qtbot.waitUntil(lambda: ctx.gallery_index() is not None and len(ctx.gallery_index()) == 5)
    return w


def _warning(qtbot, window, job_id):
    qtbot.waitUntil(lambda: job_id in window.enrolment.warnings, timeout=60_000)
    return window.enrolment.warnings[job_id]


@pytest.mark.model
def test_add_photos_lists_the_wrong_person_once_and_skips_it(qtbot, window, demo_store, val_photos):
    jerry, madonna = val_photos["jerry_seinfeld"][2], val_photos["madonna"][0]
    enrolled = []
    window.enrolment.enrolled.connect(lambda outcome, names: enrolled.append((outcome, names)))
    job = window.enrolment.enrol_files("Madonna", [jerry, madonna])
    dialog = _warning(qtbot, window, job)
    assert dialog.isVisible()
    assert "1 of the 2 samples does not look like Madonna" in dialog.intro.text()
    message = dialog.messages[0].text()
    assert message.startswith("This face looks like Jerry Seinfeld (0.")
    assert "not like Madonna" in message
    assert _samples(demo_store, "Madonna") == 1  # nothing stored while the user decides
    assert dialog.skip_button.isDefault()
    dialog.skip_button.click()
    qtbot.waitUntil(lambda: len(enrolled) == 1, timeout=30_000)
    outcome, names = enrolled[0]
    assert names == ["Madonna"] and [s.source for _, s in outcome.samples] == [str(madonna)]
    assert _samples(demo_store, "Madonna") == 2  # Madonna's photo only
    assert _samples(demo_store, "Jerry Seinfeld") == 1


@pytest.mark.model
def test_add_photos_of_several_wrong_faces_adds_only_the_checked(
    qtbot, window, demo_store, val_photos
):
    jerry, mindy = val_photos["jerry_seinfeld"][2], val_photos["mindy_kaling"][3]
    job = window.enrolment.enrol_files("Madonna", [jerry, mindy])
    dialog = _warning(qtbot, window, job)
    assert "2 of the 2 samples" in dialog.intro.text()
    assert "Jerry Seinfeld" in dialog.messages[0].text()
    assert "Mindy Kaling" in dialog.messages[1].text()
    assert len(dialog.boxes) == 2 and not dialog.add_button.isEnabled()  # nothing checked yet
    dialog.boxes[1].setChecked(True)
    assert dialog.add_button.text() == "Add 1 anyway"
    with qtbot.waitSignal(window.enrolment.enrolled, timeout=30_000) as done:
        dialog.add_button.click()
    assert done.args[1] == ["Madonna"]
    assert [s.source for _, s in done.args[0].samples] == [str(mindy)]
    assert _samples(demo_store, "Madonna") == 2


@pytest.mark.model
def test_a_capture_of_someone_else_is_stored_only_when_confirmed(
    qtbot, window, demo_store, real_pipeline, val_photos
):
    frame = letterbox(load_image(val_photos["jerry_seinfeld"][2]), (640, 480))
    frame.setflags(write=False)
    face = largest_face(real_pipeline.detect(frame))

    job = window.enrolment.enrol_capture("Madonna", frame, face)
    dialog = _warning(qtbot, window, job)
    assert not dialog.boxes  # one sample: just Add anyway / Skip
    assert "Jerry Seinfeld" in dialog.messages[0].text()
    with qtbot.waitSignal(window.enrolment.enrolled, timeout=30_000) as skipped:
        dialog.reject()  # Escape or the close button: skipped
    assert skipped.args[1] == []
    assert _samples(demo_store, "Madonna") == 1

    job = window.enrolment.enrol_capture("Madonna", frame, face)
    dialog = _warning(qtbot, window, job)
    with qtbot.waitSignal(window.enrolment.enrolled, timeout=30_000) as added:
        dialog.add_button.click()
    assert added.args[1] == ["Madonna"]
    assert _samples(demo_store, "Madonna") == 2

    # Jerry's own face is added to Jerry without a question.
    with qtbot.waitSignal(window.enrolment.enrolled, timeout=30_000) as plain:
        job = window.enrolment.enrol_capture("Jerry Seinfeld", frame, face)
    assert plain.args[1] == ["Jerry Seinfeld"] and job not in window.enrolment.warnings
    assert _samples(demo_store, "Jerry Seinfeld") == 2


def test_the_warning_shows_names_as_plain_text(qtbot):
    from PySide6.QtCore import Qt

    from faceapp.core.enrolment_check import EnrolmentVerdict
    from faceapp.gui.dialogs.wrong_person_dialog import WrongPersonDialog
    from faceapp.session.flagged import FlaggedSample

    verdict = EnrolmentVerdict("<b>Ann</b>", "closer_to_other", 1.07, 1.2, "<i>Bob</i>", 0.5)
    dialog = WrongPersonDialog("<b>Ann</b>", [FlaggedSample("/x/<u>a</u>.jpg", None, verdict)], 1)
    qtbot.addWidget(dialog)
    labels = [dialog.intro, *dialog.messages]
    assert all(label.textFormat() == Qt.TextFormat.PlainText for label in labels)
    assert dialog.intro.text().startswith("This sample does not look like <b>Ann</b>.")
    assert dialog.messages[0].text() == (
        "This face looks like <i>Bob</i> (0.50), not like <b>Ann</b> (1.20)."
    )
    assert dialog.chosen() == []  # not accepted: nothing to add
    dialog.add_button.click()
    assert dialog.chosen() == [0]
