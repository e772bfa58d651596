"""The source dialog's choices without Qt (session/source_choices.py)."""

from __future__ import annotations

from pathlib import Path

from faceapp.core.sources import DEFAULT_CAMERA_MODE, CameraMode
from faceapp.session.source_choices import (
    CAMERA_MODES,
    VIDEO_FILTER,
    camera_key,
    camera_label,
    camera_mode_of,
    camera_row,
    chosen_spec,
    found_cameras,
    picked_address,
    probe_failed_text,
    probing_text,
    remembered_mode,
    source_kind,
    tried_text,
    try_address,
)
from faceapp.settings import Settings


def test_every_offered_mode_is_read_back() -> None:
    for _label, mode in CAMERA_MODES:
        assert camera_mode_of(mode) == (None if mode == "auto" else CameraMode.parse(mode))
    assert camera_mode_of(None) == DEFAULT_CAMERA_MODE


def test_cameras_are_keyed_and_listed_by_name_else_index() -> None:
    assert camera_key(2, "HD Webcam") == "HD Webcam"
    assert camera_key(2, None) == "camera 2"
    assert camera_label(0, "HD Webcam") == "HD Webcam (camera 0)"
    assert camera_label(1, None) == "Camera 1"
    assert found_cameras([(0, "HD"), 3]) == [(0, "HD"), (3, None)]
    assert found_cameras(None) == []


def test_a_spec_says_which_choice_it_is(tmp_path: Path) -> None:
    assert source_kind("demo") == "demo"
    assert source_kind("0") == source_kind(" 2 ") == "camera"
    assert source_kind("rtsp://user:pw@cam/stream") == "network"
    assert source_kind(str(tmp_path)) == "folder"
    assert source_kind(str(tmp_path / "clip.mp4")) == "video"


def test_a_tried_address_reads_one_line_with_its_mark() -> None:
    ok, text = try_address("rtsp://127.0.0.1:9/nothing")
    assert not ok and text
    assert tried_text((True, "Works: 640x480.")) == (True, "✓ Works: 640x480.")
    assert tried_text((False, "refused")) == (False, "✗ refused")
    assert tried_text("odd") == (False, "✗ odd")
    assert "*.mp4" in VIDEO_FILTER and VIDEO_FILTER.endswith("All files (*)")


def test_a_camera_gets_its_remembered_mode_or_the_default() -> None:
    key = camera_key(0, "Cam")
    settings = Settings().with_camera_mode(key, "auto")
    assert remembered_mode(settings, 0, "Cam") == "auto"
    assert remembered_mode(settings, 1, "Other") == str(DEFAULT_CAMERA_MODE)


def test_an_address_test_says_what_it_tries_with_the_password_hidden() -> None:
    assert probing_text("") == "Type the camera's address first."
    text = probing_text("rtsp://ann:secret@cam/stream")
    assert text.startswith("Testing rtsp://") and "secret" not in text
    assert probe_failed_text("refused\nmore detail") == "✗ refused"
    assert probe_failed_text("") == "✗ "


def test_the_photo_filter_lists_every_image_suffix_then_all_files():
    from faceapp.core.images import IMAGE_SUFFIXES
    from faceapp.session.source_choices import PHOTO_FILTER

    images, everything = PHOTO_FILTER.split(";;")
    assert images.startswith("Images (") and images.endswith(")")
    assert images[len("Images (") : -1].split() == [f"*{s}" for s in IMAGE_SUFFIXES]
    assert everything == "All files (*)"


def test_a_remembered_address_is_picked_by_its_redacted_entry() -> None:
    entry = ("rtsp://admin:***@cam/s", "rtsp://admin:secret@cam/s")
    assert picked_address("rtsp://admin:***@cam/s", entry) == "rtsp://admin:secret@cam/s"
    assert picked_address(" rtsp://other/s ", entry) == "rtsp://other/s"  # typed over it
    assert picked_address(" rtsp://typed/s ", None) == "rtsp://typed/s"


def test_the_running_camera_is_selected_when_found() -> None:
    found = [(0, "HD"), (2, None)]
    assert camera_row(found, 2) == 1
    assert camera_row(found, 5) == -1
    assert camera_row(found, None) == -1


def test_the_spec_follows_the_choice() -> None:
    assert chosen_spec("camera", 2, 0, "") == "2"
    assert chosen_spec("camera", None, 3, "") == "3"  # not listed yet: the running one
    assert chosen_spec("camera", None, None, "") == "0"
    assert chosen_spec("demo", None, None, "ignored") == "demo"
    assert chosen_spec("video", None, None, " clip.mp4 ") == "clip.mp4"
    assert chosen_spec("network", None, None, "rtsp://cam/s") == "rtsp://cam/s"
