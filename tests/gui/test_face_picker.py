"""Add photos… with one photo of several people: the user picks the face (real model)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceapp.core.images import load_image

from .gui_helpers import ListSource, grey_frames, make_ctx


@pytest.fixture
def window(qtbot, make_window, demo_store, real_pipeline):
    """A window over the five demo people (one sample each) and grey frames."""
    ctx = make_ctx(demo_store, real_pipeline)
    w = make_window(ctx, ListSource(grey_frames(), fps=5.0))
    qtbot.waitUntil(lambda: ctx.gallery_index() is not None and len(ctx.gallery_index()) == 5)
    return w


def _two_people(tmp_path, big, small):
    """A photo of two real people side by side, ``big``'s face the larger (left)."""
    a, b = load_image(big), load_image(small)
    a = cv2.resize(a, None, fx=600 / a.shape[0], fy=600 / a.shape[0])
    b = cv2.resize(b, None, fx=360 / b.shape[0], fy=360 / b.shape[0])
    canvas = np.zeros((600, a.shape[1] + b.shape[1], 3), np.uint8)
    canvas[:, : a.shape[1]] = a
    canvas[120:480, a.shape[1] :] = b
    path = tmp_path / "two people.jpg"
    cv2.imwrite(str(path), canvas)
    return path, a.shape[1]


@pytest.mark.model
def test_a_photo_of_two_people_asks_which_face(qtbot, window, demo_store, tmp_path, val_photos):
    path, split = _two_people(tmp_path, val_photos["jerry_seinfeld"][2], val_photos["madonna"][0])
    enrolled = []
    window.enrolment.enrolled.connect(lambda outcome, names: enrolled.append(names))
    window.gallery_panel.files_chosen.emit("Madonna", [path])  # as Add photos… does
    qtbot.waitUntil(lambda: window.enrolment.last_picker is not None, timeout=60_000)
    picker = window.enrolment.last_picker
    faces = picker._faces
    assert len(faces) == 2 and picker.chosen().box.x < split  # the largest (Jerry) first
    madonna = next(i for i, f in enumerate(faces) if f.box.x >= split)
    picker.choose(madonna + 1)
    assert picker.chosen() is faces[madonna]
    picker.accept()
    qtbot.waitUntil(lambda: bool(enrolled), timeout=60_000)
    assert enrolled == [["Madonna"]]
    assert demo_store.find_person("Madonna").n_samples == 2
    assert not window.enrolment.warnings  # her face: the wrong-person check let it pass
