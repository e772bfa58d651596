"""``faceapp video URL`` and ``verify --video URL`` on a real localhost MJPEG stream.

The stream is cut mid-run and started again: the run reconnects, numbers frames on,
records no history event for the gap, and gives up after ``--reconnect-for`` with one
line and status 2.  The password of the address never reaches an output.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
import time
from pathlib import Path

import cv2
import pytest

from faceapp.cli import run
from faceapp.core.reconnect import LOST_TEXT
from faceapp.core.sources import letterbox
from faceapp.storage.gallery import GalleryStore
from faceapp.storage.history import History
from tests.conftest import person_photos
from tests.core.stream_servers import MjpegServer

PASSWORD = "S3cr3t-pw"
#: Hang guard of a wait, in seconds (never a measured goal).
GUARD_S = 120.0


def jpeg_frames(photos: list[Path], each: int = 10) -> list[bytes]:
    """Each photo letterboxed to 640x480, ``each`` frames of it, as JPEG."""
    out = []
    for photo in photos:
        image = letterbox(cv2.imread(str(photo)), (640, 480))
        out += [cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()] * each
    return out


def last_json(out: str):
    return json.loads(out.strip().splitlines()[-1])


class LogEvents(logging.Handler):
    """Counts log messages containing given words, from any thread."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.cond = threading.Condition()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        with self.cond:
            self.messages.append(record.getMessage())
            self.cond.notify_all()

    def wait_for(self, words: str, count: int = 1) -> bool:
        with self.cond:
            return self.cond.wait_for(
                lambda: sum(words in m for m in self.messages) >= count, GUARD_S
            )


@pytest.fixture(scope="module")
def enrolled(tmp_path_factory, celebrity_dir: Path) -> Path:
    """A gallery of the five people (one train photo each) with the history on, built once."""
    path = tmp_path_factory.mktemp("enrolled") / "g.sqlite3"
    for person, photos in person_photos(celebrity_dir, "train").items():
        assert run(["enroll", person, str(photos[0]), "--gallery", str(path)]) == 0
    History(GalleryStore(path)).configure(enabled=True)
    return path


@pytest.fixture
def gallery(tmp_path: Path, enrolled: Path, capsys) -> Path:
    """Each test's own copy of the enrolled gallery (its history starts empty)."""
    path = tmp_path / "g.sqlite3"
    shutil.copyfile(enrolled, path)
    assert History(GalleryStore(path)).events() == []
    capsys.readouterr()
    return path


@pytest.fixture
def log_events():
    handler = LogEvents()
    logger = logging.getLogger("faceapp")
    old = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(old)


@pytest.mark.model
def test_video_on_a_stream_reconnects_and_records_nothing_in_the_gap(
    capsys, gallery: Path, celebrity_dir: Path, log_events: LogEvents
) -> None:
    photos = [ps[0] for ps in person_photos(celebrity_dir, "val").values()]
    server = MjpegServer(jpeg_frames(photos), fps=20.0, loop=True).start()
    address = server.url(auth=f"admin:{PASSWORD}@")
    times: dict[str, float] = {}

    def cut_and_restore() -> None:
        # The pre-flight open, then the capture loop's: cut it a second into the run.
        if not log_events.wait_for("opened http://", 2):
            return
        time.sleep(1.0)
        server.stop()
        if log_events.wait_for("lost:"):
            time.sleep(2.0)
            times["back"] = time.monotonic()
            server.start()

    helper = threading.Thread(target=cut_and_restore, daemon=True)
    helper.start()
    try:
        code = run(
            ["video", address, "--max-frames", "60", "--history", "--gallery", str(gallery)]
            + ["--json", "--reconnect-for", "30"]
        )
    finally:
        helper.join(GUARD_S)
        server.stop()
    out, err = capsys.readouterr()
    assert code == 0, err
    frames = last_json(out)["frames"]
    assert len(frames) == 60
    indices = [f["frame"] for f in frames]
    assert indices == sorted(indices)
    stamps = [f["t"] for f in frames]
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    assert max(gaps) >= 2.0  # the outage shows as a gap in time
    cut = gaps.index(max(gaps))
    names_after = {face["name"] for f in frames[cut + 1 :] for face in f["faces"]}
    assert names_after & {p.parent.name for p in photos}  # named again after the gap
    lines = err.strip().splitlines()
    assert [line for line in lines if LOST_TEXT in line] == [lines[0]]
    assert "is back after" in lines[1] and len(lines) == 2

    events = History(GalleryStore(gallery)).events()
    assert events
    # Frame times in the JSON are rounded to the millisecond: compare at that precision.
    in_gap = [e for e in events if stamps[cut] < round(e.position or 0, 3) < stamps[cut + 1]]
    assert in_gap == []
    assert {e.source for e in events} == {f"http://admin:***@127.0.0.1:{server.port}/video.mjpg"}
    assert PASSWORD not in out + err + " ".join(log_events.messages)


@pytest.mark.model
def test_video_gives_up_on_a_stream_that_stays_away_with_one_line_and_status_2(
    capsys, gallery: Path, celebrity_dir: Path, log_events: LogEvents
) -> None:
    photos = [ps[0] for ps in person_photos(celebrity_dir, "val").values()]
    server = MjpegServer(jpeg_frames(photos), fps=10.0, loop=True).start()

    def cut() -> None:
        if log_events.wait_for("opened http://", 2):
            time.sleep(1.0)
            server.stop()

    helper = threading.Thread(target=cut, daemon=True)
    helper.start()
    try:
        code = run(
            ["video", server.url(auth=f"admin:{PASSWORD}@"), "--gallery", str(gallery)]
            + ["--reconnect-for", "1"]
        )
    finally:
        helper.join(GUARD_S)
        server.stop()
    out, err = capsys.readouterr()
    assert code == 2
    last = err.strip().splitlines()[-1]
    assert last.startswith("faceapp: http://admin:***@127.0.0.1:") and last.endswith("gave up")
    assert PASSWORD not in out + err


@pytest.mark.model
def test_verify_takes_a_camera_address(capsys, gallery: Path, celebrity_dir: Path) -> None:
    madonna = person_photos(celebrity_dir, "val")["madonna"][2:4]
    server = MjpegServer(jpeg_frames(madonna), fps=50.0, loop=True).start()
    try:
        address = server.url(auth=f"admin:{PASSWORD}@")
        code = run(["verify", "madonna", "--video", address, "--gallery", str(gallery), "--json"])
        out, err = capsys.readouterr()
        doc = last_json(out)
        assert code == 0, doc
        assert doc["decision"] == "accept" and doc["frames"] == 50
        code = run(["verify", "elton_john", "--video", address, "--gallery", str(gallery)])
        out, err = capsys.readouterr()
        assert code == 1 and out.startswith("rejected: elton_john")
    finally:
        server.stop()
    dead = f"http://admin:{PASSWORD}@127.0.0.1:{server.port}/video.mjpg"
    code = run(["verify", "madonna", "--video", dead, "--gallery", str(gallery)])
    out, err = capsys.readouterr()
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "admin:***@" in err and PASSWORD not in out + err
