"""The Qt binding itself: faults in it that faceapp's own code cannot work around."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    flag = Signal(bool)
    opened = Signal(int, str, float, bool)


def test_emitting_bools_keeps_their_reference_counts(qapp) -> None:
    # PySide6 6.12.0 lost one reference to True per emission of a bool argument; the
    # GUI emits such signals every frame, and the process aborted on exit
    # ("bool_dealloc: deallocating True or False").
    emitter = _Emitter()
    received: list[object] = []
    emitter.flag.connect(received.append)
    emitter.opened.connect(lambda *args: received.append(args))
    before = sys.getrefcount(True), sys.getrefcount(False)
    for _ in range(500):
        emitter.flag.emit(True)
        emitter.flag.emit(False)
        emitter.opened.emit(0, "camera", 30.0, True)
    received.clear()
    after = sys.getrefcount(True), sys.getrefcount(False)
    # The fault lost one reference per emission: 1,000 for True here.  Threads that other
    # tests left winding down move the process-wide counts by a few meanwhile.
    assert abs(after[0] - before[0]) < 50 and abs(after[1] - before[1]) < 50, (before, after)


_DECODE_IN_A_THREAD = """
import json, threading
import cv2, numpy as np
from PySide6.QtWidgets import QApplication
app = QApplication([])
from faceapp.gui.images import jpeg_image, thumbnail_image
ok, jpeg = cv2.imencode(".jpg", np.full((40, 30, 3), (10, 120, 240), np.uint8))
ok, png = cv2.imencode(".png", np.full((8, 6, 3), 200, np.uint8))
out = {}
def decode():
    out["jpeg"] = jpeg_image(jpeg.tobytes())
    out["png"] = jpeg_image(png.tobytes())
    out["thumb"] = thumbnail_image(jpeg.tobytes(), 16)
    out["junk"] = jpeg_image(b"not a picture")
worker = threading.Thread(target=decode)
worker.start()
worker.join()
maps = open("/proc/self/maps").read()
plugins = sorted({line.rsplit("/", 1)[-1] for line in maps.splitlines() if "imageformats" in line})
sizes = [(i.width(), i.height()) if i is not None else None for i in out.values()]
colour = out["jpeg"].pixelColor(15, 20)
print(json.dumps({"plugins": plugins, "sizes": sizes, "rgb": colour.getRgb()[:3]}))
"""


def test_pictures_decoded_off_the_gui_thread_never_load_qt_image_plugins(tmp_path) -> None:
    # The gallery and history threads decode thumbnails and face crops.  Through Qt's image
    # reader, the first decode loads a format plugin and moves it to the GUI thread while
    # PySide holds the GIL; a GUI thread disconnecting a signal at that moment holds the
    # mutex the move needs and waits for the GIL: the whole process froze (a test run hung
    # in QObject::moveToThread against QObject::disconnect, and the timeout never fired).
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    run = subprocess.run(
        [sys.executable, "-c", _DECODE_IN_A_THREAD],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    assert got["plugins"] == []
    # The pictures themselves: JPEG and PNG at their size, a thumbnail filling 16 px on its
    # shorter side, nothing for bytes that are no picture, and the colours the right way.
    assert got["sizes"] == [[30, 40], [6, 8], [16, 21], None]
    assert got["rgb"] == pytest.approx([240, 120, 10], abs=3)
