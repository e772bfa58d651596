"""The first start without a camera: a card offering the demo, a video, a folder, or photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog

from faceapp import paths
from faceapp.gui.widgets.empty_hint import (
    ADD_PHOTOS,
    NO_CAMERA_TITLE,
    OPEN_FOLDER,
    OPEN_VIDEO,
    RETRY_CAMERA,
    SHOW_DEMO,
)

from .gui_helpers import celebrity_photos, fake_pipeline, make_ctx

needs_demo = pytest.mark.skipif(
    not celebrity_photos("val"), reason="the 5-celebrity photos are absent (demo source)"
)

#: A camera index no machine of the tests has.
NO_CAMERA = "7"


def _grey_video(path: Path, frames: int = 10) -> Path:
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (160, 120))
    for k in range(frames):
        writer.write(np.full((120, 160, 3), 40 + 10 * k, np.uint8))
    writer.release()
    return path


def _grey_folder(folder: Path) -> Path:
    import cv2

    folder.mkdir()
    for k in range(2):
        cv2.imwrite(str(folder / f"{k}.png"), np.full((120, 160, 3), 90, np.uint8))
    return folder


@pytest.fixture
def first_start(qtbot, make_window, store):
    """A window started on a camera that does not exist, once its card shows."""
    ctx = make_ctx(store, fake_pipeline(), source=NO_CAMERA)
    window = make_window(ctx, None)
    qtbot.waitUntil(window.no_camera_card.isVisible, timeout=10_000)
    return window


def test_no_camera_opens_on_the_card_with_nothing_running_behind(first_start) -> None:
    window, card = first_start, first_start.no_camera_card
    assert card.title.text() == NO_CAMERA_TITLE
    assert "Open a video, a photo folder, or add photos" in card.text.text()
    assert card.reason.text() == f"Could not open camera {NO_CAMERA}."
    assert list(card.buttons) == [SHOW_DEMO, OPEN_VIDEO, OPEN_FOLDER, ADD_PHOTOS, RETRY_CAMERA]
    assert all(b.isVisible() and b.isEnabled() for b in card.buttons.values())
    assert card.buttons[SHOW_DEMO].objectName() == "primary"  # the first thing to try
    assert not window.source_banner.isVisible()  # no red banner, no demo started unasked
    assert window.capture_worker is None
    view = window.video_view.rect()
    assert view.contains(card.geometry()), (card.geometry(), view)
    assert window.ctx.settings.source == NO_CAMERA  # nothing chosen yet
    # Nothing on the card's screen pretends there is a camera or a picture.
    assert window.chrome.source_title.text() == "Source: none (no camera found)"
    assert not window.chrome.pause_action.isEnabled()
    assert not window.chrome.capture_action.isEnabled()
    assert not window.gallery_panel.capture_button.isEnabled()
    assert window.chrome.status_source.text() == "none (no camera found)"  # not "(stopped)"
    assert not window.empty_hint.isVisible()  # its "press Capture" needs a picture


@needs_demo
def test_leaving_the_card_brings_capture_pause_and_the_hint_back(qtbot, first_start) -> None:
    window = first_start
    with qtbot.waitSignal(window.source_started, timeout=10_000):
        window.no_camera_card.trigger(SHOW_DEMO)
    assert window.chrome.pause_action.isEnabled() and window.chrome.capture_action.isEnabled()
    assert window.gallery_panel.capture_button.isEnabled()
    assert window.chrome.source_title.text() != "Source: none (no camera found)"
    qtbot.waitUntil(window.empty_hint.isVisible, timeout=5000)  # the gallery is empty


@needs_demo
def test_show_the_demo_opens_the_demo_and_remembers_it(qtbot, first_start) -> None:
    window = first_start
    with qtbot.waitSignal(window.source_started, timeout=10_000) as started:
        window.no_camera_card.trigger(SHOW_DEMO)
    assert started.args == ["demo"]
    assert not window.no_camera_card.isVisible()
    qtbot.waitUntil(lambda: window.ctx.settings.source == "demo", timeout=5000)


def test_open_video_asks_for_a_file_and_plays_it(qtbot, first_start, monkeypatch, tmp_path):
    window, card = first_start, first_start.no_camera_card
    video = _grey_video(tmp_path / "clip.avi")
    answers = [("", ""), (str(video), "Videos")]  # cancelled first, then chosen
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: answers.pop(0))
    card.trigger(OPEN_VIDEO)
    assert card.isVisible() and window.capture_worker is None  # cancel: still on the card
    with qtbot.waitSignal(window.source_started, timeout=10_000) as started:
        card.trigger(OPEN_VIDEO)
    assert started.args == ["clip.avi"]
    assert not card.isVisible()


def test_open_photo_folder_shows_the_folder(qtbot, first_start, monkeypatch, tmp_path):
    window = first_start
    folder = _grey_folder(tmp_path / "holiday")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    with qtbot.waitSignal(window.source_started, timeout=10_000) as started:
        window.no_camera_card.trigger(OPEN_FOLDER)
    assert started.args == ["holiday"]
    assert not window.no_camera_card.isVisible()


def test_add_photos_asks_for_the_photos_to_enrol(first_start, monkeypatch) -> None:
    asked = []

    def choose(parent, title, *rest, **kw):
        asked.append(title)
        return [], ""

    monkeypatch.setattr(QFileDialog, "getOpenFileNames", choose)
    first_start.no_camera_card.trigger(ADD_PHOTOS)
    assert asked == ["Add photos"]  # the gallery's own Add photos flow


def test_trying_the_camera_again_comes_back_to_the_card(qtbot, first_start) -> None:
    window, card = first_start, first_start.no_camera_card
    card.trigger(RETRY_CAMERA)
    assert not card.isVisible()  # opening the camera again
    qtbot.waitUntil(card.isVisible, timeout=10_000)  # it failed again: the card, not a banner
    assert not window.source_banner.isVisible()


def test_a_packaged_app_without_its_demo_never_says_to_run_weights_fetch(
    qtbot, first_start, monkeypatch, tmp_path
) -> None:
    monkeypatch.setattr(paths, "is_frozen", lambda: True)
    monkeypatch.setenv("FACEAPP_WEIGHTS_DIR", str(tmp_path))  # no photos there
    window = first_start
    window.no_camera_card.trigger(SHOW_DEMO)
    banner = window.source_banner
    qtbot.waitUntil(banner.isVisible, timeout=5000)
    assert "the demo photos are missing" in banner.text()
    assert "weights fetch" not in banner.text()
    assert "download and unpack it again" in banner.text()


@needs_demo
@pytest.mark.model
def test_gui_enrol_demo_option_enrols_the_five_demo_people(tmp_path) -> None:
    """``faceapp gui --enrol-demo`` (the menu action at start), on the first start: no camera."""
    import os
    import subprocess
    import sys

    from faceapp.storage.gallery import GalleryStore

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    # 8 s is ample for the load and the five enrolments on an idle machine; on a busy one that
    # had not enrolled all five yet, the same run on a new gallery with 25 s (same checks).
    for seconds in ("8", "25"):
        gallery = tmp_path / f"gallery-{seconds}.sqlite3"
        argv = ["--gallery", str(gallery), "--source", NO_CAMERA, "--enrol-demo"]
        argv += ["--exit-after", seconds]
        code = f"from faceapp.gui.app import main; raise SystemExit(main({argv!r}))"
        result = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=150
        )
        assert result.returncode == 0, result.stderr[-3000:]
        assert "no camera: showing the 'No camera found' card" in result.stderr
        people = {p.name: p.n_samples for p in GalleryStore(gallery).people()}
        if len(people) >= 5:
            break
    assert people == dict.fromkeys(
        ["Ben Afflek", "Elton John", "Jerry Seinfeld", "Madonna", "Mindy Kaling"], 1
    )
