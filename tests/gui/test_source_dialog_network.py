"""The source dialog: a network camera's address (remembered redacted, tested off the GUI
thread) and cameras by name with a size and frame rate (no camera here: fakes for those)."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import QElapsedTimer, QTimer
from PySide6.QtWidgets import QLabel

from faceapp.core.sources import (
    DEFAULT_CAMERA_MODE,
    CameraMode,
    VideoCaptureSource,
    apply_camera_mode,
    camera_indices,
    camera_name,
    open_source,
)
from faceapp.gui.dialogs.source_dialog import SourceDialog
from faceapp.session.source_choices import camera_mode_of
from faceapp.settings import MAX_RECENT_ADDRESSES, Settings
from tests.core.stream_servers import MjpegServer

from .gui_helpers import fake_pipeline, make_ctx

PASSWORD = "S3cr3t-pw"
GUARD_MS = 30_000


def figure(name: str, value: float, unit: str) -> None:
    print(f"FIGURE {name}: {value:.3f} {unit}")


def test_recent_addresses_are_kept_newest_first_once_and_at_most_eight() -> None:
    s = Settings()
    for i in range(10):
        s = s.with_recent(f"rtsp://cam{i}/s")
    s = s.with_recent("rtsp://cam5/s")
    recent = s.recent()
    assert recent[0] == "rtsp://cam5/s" and recent.count("rtsp://cam5/s") == 1
    assert len(recent) == MAX_RECENT_ADDRESSES
    assert Settings.from_dict(s.to_dict()).recent() == recent  # survives the preferences


def test_camera_modes_are_remembered_per_camera() -> None:
    s = Settings().with_camera_mode("Integrated Camera", "640x480@30")
    s = s.with_camera_mode("camera 2", "auto").with_camera_mode("Integrated Camera", "1920x1080@15")
    assert s.camera_mode_for("Integrated Camera") == "1920x1080@15"
    assert s.camera_mode_for("camera 2") == "auto" and s.camera_mode_for("other") is None
    assert camera_mode_of(None) == DEFAULT_CAMERA_MODE == CameraMode(1280, 720, 30.0)
    assert camera_mode_of("auto") is None
    assert camera_mode_of("1920x1080@15") == CameraMode(1920, 1080, 15.0)


def test_a_remembered_address_is_listed_without_its_password_and_opened_with_it(qtbot) -> None:
    real = f"rtsp://admin:{PASSWORD}@10.0.0.7:554/stream1"
    settings = Settings().with_recent("http://10.0.0.8/video.mjpg").with_recent(real)
    dialog = SourceDialog("demo", None, settings)
    qtbot.addWidget(dialog)
    combo = dialog.address_combo
    shown = [combo.itemText(i) for i in range(combo.count())]
    assert shown == ["rtsp://admin:***@10.0.0.7:554/stream1", "http://10.0.0.8/video.mjpg"]
    combo.setCurrentIndex(0)
    dialog.network_radio.setChecked(True)
    assert combo.currentText() == shown[0]  # the box shows the hidden form
    assert dialog.spec() == real  # and the real address is opened
    combo.setEditText("rtsp://other/s")  # typed: taken as typed
    assert dialog.spec() == "rtsp://other/s"
    dialog.reject()


def test_the_current_network_source_is_preselected_redacted(qtbot) -> None:
    real = f"rtsp://admin:{PASSWORD}@10.0.0.7/s"
    dialog = SourceDialog(real, None, Settings())
    qtbot.addWidget(dialog)
    assert dialog.network_radio.isChecked() and dialog.spec() == real
    assert PASSWORD not in dialog.address_combo.currentText()
    dialog.reject()


def test_test_button_reads_a_frame_from_a_real_stream(qtbot) -> None:
    image = np.full((240, 320, 3), 90, np.uint8)
    jpeg = cv2.imencode(".jpg", image)[1].tobytes()
    server = MjpegServer([jpeg], fps=10.0, loop=True).start()
    try:
        dialog = SourceDialog("demo", None, Settings())
        qtbot.addWidget(dialog)
        dialog.address_combo.setEditText(server.url(auth=f"admin:{PASSWORD}@"))
        dialog.test_button.click()
        qtbot.waitUntil(lambda: dialog.test_label.text().startswith("✓"), timeout=GUARD_MS)
    finally:
        server.stop()
    assert dialog.test_label.text() == "✓ Works: a 320x240 picture."
    assert dialog.network_radio.isChecked()
    dialog.reject()


def test_test_button_on_a_dead_address_fails_in_one_line_without_stalling_the_gui(qtbot) -> None:
    with socket.socket() as silent:  # accepts, never answers: a hung camera
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        dialog = SourceDialog("demo", None, Settings())
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.address_combo.setEditText(f"rtsp://admin:{PASSWORD}@127.0.0.1:{port}/s")
        worst, clock, ticker = [0], QElapsedTimer(), QTimer()
        ticker.setInterval(10)
        ticker.timeout.connect(lambda: worst.__setitem__(0, max(worst[0], clock.restart())))
        clock.start()
        ticker.start()
        started = time.monotonic()
        dialog.test_button.click()
        assert not dialog.test_button.isEnabled()  # at once: the test runs elsewhere
        qtbot.waitUntil(lambda: dialog.test_label.text().startswith("✗"), timeout=GUARD_MS)
        took = time.monotonic() - started
        ticker.stop()
    figure("Test button, dead address -> one line", took, "s")
    figure("GUI thread's longest gap between 10 ms ticks during the Test", worst[0], "ms")
    text = dialog.test_label.text()
    assert "no answer within 4 s" in text and "\n" not in text and PASSWORD not in text
    assert "admin:***@127.0.0.1" in text
    assert dialog.test_button.isEnabled()
    dialog.reject()


def test_cameras_are_listed_by_name_with_their_remembered_mode(qtbot, tmp_path: Path) -> None:
    # A fake /sys/class/video4linux: no camera on this machine.
    for i, name in ((0, "Integrated Camera: Integrated C\n"), (2, "USB2.0 HD UVC WebCam\n")):
        (tmp_path / f"video{i}").mkdir()
        (tmp_path / f"video{i}" / "name").write_text(name)
    (tmp_path / "video3").mkdir()  # no name file
    assert camera_indices(tmp_path) == [0, 2, 3]
    assert camera_indices(tmp_path / "absent") == [0, 1, 2, 3]
    assert camera_name(0, tmp_path) == "Integrated Camera: Integrated C"
    assert camera_name(3, tmp_path) is None

    settings = Settings().with_camera_mode("USB2.0 HD UVC WebCam", "640x480@30")
    dialog = SourceDialog("2", None, settings)
    qtbot.addWidget(dialog)
    dialog._on_found([(0, camera_name(0, tmp_path)), (2, camera_name(2, tmp_path)), (3, None)])
    combo = dialog.camera_combo
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "Integrated Camera: Integrated C (camera 0)",
        "USB2.0 HD UVC WebCam (camera 2)",
        "Camera 3",
    ]
    assert dialog.spec() == "2"  # the current camera stays chosen
    assert dialog.camera_choice() == ("USB2.0 HD UVC WebCam", "640x480@30")  # remembered
    combo.setCurrentIndex(0)
    assert dialog.camera_choice() == ("Integrated Camera: Integrated C", "1280x720@30")  # default
    combo.setCurrentIndex(2)
    dialog.mode_combo.setCurrentIndex(dialog.mode_combo.findData("auto"))
    assert dialog.camera_choice() == ("camera 3", "auto")
    dialog.reject()


class FakeCapture:
    """An OpenCV capture of a camera that offers 640x480 at 30 fps at most."""

    def __init__(self) -> None:
        self.asked: dict[int, float] = {}

    def set(self, prop: int, value: float) -> bool:
        self.asked[prop] = value
        return True

    def get(self, prop: int) -> float:
        offers = {cv2.CAP_PROP_FRAME_WIDTH: 640.0, cv2.CAP_PROP_FRAME_HEIGHT: 480.0}
        return offers.get(prop, 30.0)


def test_a_camera_is_asked_for_1280x720_at_30_and_says_what_it_gives() -> None:
    cap = FakeCapture()
    given = apply_camera_mode(cap, DEFAULT_CAMERA_MODE)
    assert cap.asked == {
        cv2.CAP_PROP_FRAME_WIDTH: 1280.0,
        cv2.CAP_PROP_FRAME_HEIGHT: 720.0,
        cv2.CAP_PROP_FPS: 30.0,
    }
    assert given == CameraMode(640, 480, 30.0)
    camera = open_source("0")
    assert isinstance(camera, VideoCaptureSource) and camera.mode == DEFAULT_CAMERA_MODE
    assert open_source("1", camera_mode=None).mode is None  # as the camera starts


def test_the_window_remembers_a_network_camera_and_offers_it_redacted(
    qtbot, make_window, store
) -> None:
    image = np.full((240, 320, 3), 90, np.uint8)
    server = MjpegServer([cv2.imencode(".jpg", image)[1].tobytes()], fps=10.0, loop=True).start()
    try:
        ctx = make_ctx(store, fake_pipeline())
        window = make_window(ctx, "demo")
        address = server.url(auth=f"admin:{PASSWORD}@")
        window.open_source(address)
        qtbot.waitUntil(lambda: ctx.settings.recent() == [address], timeout=GUARD_MS)
        dialog = window.choose_source()
        assert dialog.network_radio.isChecked() and dialog.spec() == address
        texts = [dialog.address_combo.itemText(i) for i in range(dialog.address_combo.count())]
        texts += [label.text() for label in dialog.findChildren(QLabel)]
        texts += [label.text() for label in window.findChildren(QLabel)] + [window.windowTitle()]
        assert texts and not [t for t in texts if PASSWORD in t]
        dialog.reject()
    finally:
        server.stop()
