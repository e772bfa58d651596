"""Network cameras against real servers on localhost: HTTP MJPEG, RTSP (GStreamer) and HLS."""

from __future__ import annotations

import logging
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np
import pytest

from faceapp.core.errors import SourceError
from faceapp.core.reconnect import LinkState, LinkStatus, ReconnectingSource
from faceapp.core.sources import (
    NetworkSource,
    VideoCaptureSource,
    open_source,
    redact_source,
    scrub,
)
from tests.core.stream_servers import (
    MjpegServer,
    RtspServer,
    ffmpeg_missing,
    free_port,
    rtsp_server_missing,
)

PASSWORD = "S3cr3t-pw"
AUTH = f"admin:{PASSWORD}@"

#: Generous limit for anything that should take seconds: a guard against hanging, not a
#: measurement (the measured figures are printed, see docs/input.md).
HANG_GUARD_S = 30.0

#: Open timeout given where a test waits on an address that never answers and checks
#: the behaviour (one line, no password), not the default's value (4 s, checked once).
QUICK_OPEN_S = 1.0

#: Back-off given to the reconnection tests against real servers: attempts at 0.2, 0.6,
#: 1.0 s... (the default schedule is checked on a fake clock, see the last test).
QUICK_BACKOFF_S = (0.2, 0.4)

log = logging.getLogger(__name__)


def figure(name: str, seconds: float) -> None:
    """Print a measured figure (run pytest with ``-s`` to see them)."""
    print(f"FIGURE {name}: {seconds:.2f} s")


@pytest.fixture(scope="module")
def clip(tmp_path_factory, celebrity_dir: Path) -> Path:
    """Ten frames: the first val photo of each person, two frames each, at 10 fps (MJPG AVI)."""
    from tests.gui.make_video import interleaved_photos, make_video

    photos = interleaved_photos(celebrity_dir / "val", limit=5)
    path = tmp_path_factory.mktemp("clip") / "clip.avi"
    return make_video(path, photos, seconds_per_photo=0.2, fps=10.0)


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory, celebrity_dir: Path) -> Path:
    """Forty seconds of the five people (8 s each) at 10 fps, for streams cut mid-way."""
    from tests.gui.make_video import interleaved_photos, make_video

    photos = interleaved_photos(celebrity_dir / "val", limit=5)
    path = tmp_path_factory.mktemp("long") / "long.avi"
    return make_video(path, photos, seconds_per_photo=8.0, fps=10.0)


def file_frames(path: Path) -> list[np.ndarray]:
    """Return every frame of a video file, read as faceapp reads files."""
    source = VideoCaptureSource(path)
    source.open()
    try:
        frames = []
        while (frame := source.read()) is not None:
            frames.append(frame.image)
        return frames
    finally:
        source.close()


def jpegs(frames: list[np.ndarray]) -> list[bytes]:
    """Return the frames compressed as JPEG (quality 95), as a camera sends them."""
    return [cv2.imencode(".jpg", f, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes() for f in frames]


@pytest.fixture(scope="module")
def long_clip_jpegs(long_clip: Path) -> list[bytes]:
    """Every 20th frame of the long clip as JPEG (decoded and encoded once per module)."""
    return jpegs(file_frames(long_clip)[::20])


@pytest.fixture
def mjpeg_loop(long_clip_jpegs: list[bytes]) -> Iterator[MjpegServer]:
    """An MJPEG server sending the long clip over and over."""
    server = MjpegServer(long_clip_jpegs, fps=10.0, loop=True).start()
    yield server
    server.stop()


@pytest.fixture
def rtsp_long(long_clip: Path) -> Iterator[RtspServer]:
    """GStreamer's RTSP server sending the long clip (skipped where it is not installed)."""
    reason = rtsp_server_missing()
    if reason:
        pytest.skip(reason)
    server = RtspServer(long_clip).start()
    yield server
    server.stop()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers (a hung camera)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield int(s.getsockname()[1])


def read_all(source: NetworkSource) -> list[np.ndarray]:
    """Open ``source`` and read frames until the stream ends (the server closes it)."""
    source.open()
    frames = []
    try:
        while True:
            try:
                frame = source.read()
            except SourceError:
                return frames
            assert frame is not None
            frames.append(frame.image)
    finally:
        source.close()


# -- addresses and credentials ---------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "shown"),
    [
        ("rtsp://admin:pw@10.0.0.5:554/s1", "rtsp://admin:***@10.0.0.5:554/s1"),
        ("rtsp://admin:p@ss/w:rd@cam/s1", "rtsp://admin:***@cam/s1"),
        (
            "http://cam/video.mjpg?user=a&password=pw&x=1",
            "http://cam/video.mjpg?user=a&password=***&x=1",
        ),
        ("https://cam/x.m3u8?token=abc", "https://cam/x.m3u8?token=***"),
        ("rtsp://viewer@cam/s1", "rtsp://viewer@cam/s1"),
        ("rtsp://cam/s1", "rtsp://cam/s1"),
        ("0", "0"),
        ("clip.mp4", "clip.mp4"),
    ],
)
def test_redact_source_hides_passwords(spec: str, shown: str) -> None:
    assert redact_source(spec) == shown


def test_scrub_hides_the_password_as_written_and_decoded() -> None:
    spec = "rtsp://u:p%40ss@cam/s"
    assert (
        scrub("failed: rtsp://u:p%40ss@cam/s and p@ss", spec)
        == "failed: rtsp://u:***@cam/s and ***"
    )


@pytest.mark.parametrize(
    ("spec", "transport", "url"),
    [
        ("rtsp://cam/s", "tcp", "rtsp://cam/s"),
        ("RTSPT://cam/s", "tcp", "rtsp://cam/s"),
        ("rtspu://cam/s", "udp", "rtsp://cam/s"),
        ("http://cam/video.mjpg", None, "http://cam/video.mjpg"),
        ("https://cam/live.m3u8", None, "https://cam/live.m3u8"),
    ],
)
def test_open_source_takes_network_addresses(spec: str, transport: str | None, url: str) -> None:
    source = open_source(f" {spec} ")
    assert isinstance(source, NetworkSource)
    assert source.live and source.transport == transport and source.ffmpeg_url() == url


def test_an_unsupported_address_is_one_line_without_the_password() -> None:
    with pytest.raises(SourceError) as err:
        open_source(f"ftp://{AUTH}cam/x")
    message = str(err.value)
    assert "not a supported address" in message and "\n" not in message
    assert PASSWORD not in message and "ftp://admin:***@cam/x" in message


# -- real servers ----------------------------------------------------------------------


def test_mjpeg_stream_is_read_as_a_live_source(mjpeg_loop: MjpegServer) -> None:
    source = open_source(mjpeg_loop.url(AUTH))
    assert source.name == mjpeg_loop.url("admin:***@")
    source.open()
    try:
        frames = [source.read() for _ in range(5)]
    finally:
        source.close()
    assert all(f is not None and f.image.shape == (480, 640, 3) for f in frames)
    assert [f.index for f in frames if f] == [0, 1, 2, 3, 4]
    assert source.live


@pytest.mark.parametrize("scheme", ["rtspt", "rtspu"])
def test_rtsp_stream_is_read_over_tcp_and_udp(rtsp_long: RtspServer, scheme: str) -> None:
    source = open_source(rtsp_long.url(scheme))
    start = time.monotonic()
    source.open()
    figure(f"RTSP ({scheme}) open", time.monotonic() - start)
    try:
        frames = [source.read() for _ in range(3)]
    finally:
        source.close()
    assert all(f is not None and f.image.shape == (480, 640, 3) for f in frames)


def test_hls_stream_is_read(long_clip: Path, tmp_path: Path) -> None:
    reason = ffmpeg_missing()
    if reason:
        pytest.skip(reason)
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", str(long_clip), "-t", "4"]
    cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-f", "hls"]
    cmd += ["-hls_time", "1", "-hls_list_size", "0", str(tmp_path / "live.m3u8")]
    subprocess.run(cmd, check=True, timeout=120)

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        source = open_source(f"http://127.0.0.1:{server.server_address[1]}/live.m3u8")
        source.open()
        try:
            frames = [source.read() for _ in range(3)]
        finally:
            source.close()
    finally:
        server.shutdown()
        server.server_close()
    assert all(f is not None and f.image.shape == (480, 640, 3) for f in frames)


@pytest.mark.parametrize(
    ("scheme", "timeout"),
    [("http", None), ("rtsp", QUICK_OPEN_S)],  # None: open_source's, the default 4 s
)
def test_an_address_that_never_answers_fails_with_one_line(
    silent_port: int, scheme: str, timeout: float | None
) -> None:
    spec = f"{scheme}://{AUTH}127.0.0.1:{silent_port}/stream"
    source = open_source(spec) if timeout is None else NetworkSource(spec, open_timeout_s=timeout)
    start = time.monotonic()
    with pytest.raises(SourceError) as err:
        source.open()
    elapsed = time.monotonic() - start
    figure(f"dead address ({scheme}, no answer)", elapsed)
    assert elapsed < HANG_GUARD_S
    message = str(err.value)
    assert f"no answer within {timeout or 4:g} s" in message and "\n" not in message
    assert PASSWORD not in message and "admin:***@" in message


def test_a_refused_address_fails_at_once_with_one_line() -> None:
    source = open_source(f"rtsp://{AUTH}127.0.0.1:{free_port()}/stream")
    start = time.monotonic()
    with pytest.raises(SourceError) as err:
        source.open()
    figure("dead address (refused)", time.monotonic() - start)
    assert "cannot be opened" in str(err.value) and "\n" not in str(err.value)
    assert PASSWORD not in str(err.value)


def run_outage(source: ReconnectingSource, stop, restart, down_s: float = 1.0) -> dict[str, float]:
    """Read, cut the server, wait ``down_s``, bring it back; return the measured seconds.

    The default outage outlasts two failed attempts of :data:`QUICK_BACKOFF_S` (at 0.2
    and 0.6 s).

    ``lost``: from the cut to the LOST report; ``back``: from the restart to the next frame.
    """
    deadline = time.monotonic() + HANG_GUARD_S
    source.open()
    try:
        for _ in range(3):
            assert source.poll() is not None
        stop()
        cut = time.monotonic()
        while source.state is LinkState.LIVE:
            source.poll()
            assert time.monotonic() < deadline, "the cut was never noticed"
        lost = time.monotonic() - cut
        while time.monotonic() < cut + down_s:  # keep trying while the server is away
            source.poll()
            time.sleep(0.05)
        restart()
        back_at = time.monotonic()
        while (frame := source.poll()) is None:
            assert time.monotonic() < deadline + HANG_GUARD_S, "the stream never came back"
            time.sleep(0.05)
        back = time.monotonic() - back_at
        assert frame.image.shape == (480, 640, 3)
    finally:
        source.close()
    return {"lost": lost, "back": back}


def test_mjpeg_stream_cut_and_back_reconnects(mjpeg_loop: MjpegServer) -> None:
    statuses: list[LinkStatus] = []
    source = ReconnectingSource(
        NetworkSource(mjpeg_loop.url(AUTH)), statuses.append, backoff=QUICK_BACKOFF_S
    )
    took = run_outage(source, mjpeg_loop.stop, mjpeg_loop.start)
    figure("MJPEG cut -> lost", took["lost"])
    figure("MJPEG back -> frame", took["back"])
    states = [s.state for s in statuses]
    assert states[0] is LinkState.LOST and states[-1] is LinkState.LIVE
    assert statuses[0].text == "Camera lost — reconnecting…"
    assert source.reconnections == 1
    assert all(PASSWORD not in repr(s) for s in statuses)


def test_rtsp_stream_cut_and_back_reconnects(rtsp_long: RtspServer) -> None:
    statuses: list[LinkStatus] = []
    source = ReconnectingSource(
        NetworkSource(rtsp_long.url(auth=AUTH)), statuses.append, backoff=QUICK_BACKOFF_S
    )
    took = run_outage(source, rtsp_long.stop, rtsp_long.start)
    figure("RTSP cut -> lost", took["lost"])
    figure("RTSP back -> frame", took["back"])
    assert [s.state for s in statuses][-1] is LinkState.LIVE
    assert source.reconnections == 1
    assert all(PASSWORD not in repr(s) for s in statuses)


def test_a_password_never_appears_in_logs_messages_or_output(
    mjpeg_loop: MjpegServer, silent_port: int, caplog, capfd
) -> None:
    """Open, read, lose, fail to reconnect and fail to open, with a password in the address."""
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    for spec in (mjpeg_loop.url(AUTH), mjpeg_loop.url("admin:S3cr3t%2Dpw@")):
        statuses: list[LinkStatus] = []
        source = ReconnectingSource(
            open_source(spec), statuses.append, backoff=(0.1,), sleep=lambda _s: True
        )
        seen.append(source.name)
        source.open()
        assert source.read() is not None
        mjpeg_loop.stop()
        while source.state is LinkState.LIVE:
            source.poll()
        for _ in range(3):  # failed attempts while the server is away
            time.sleep(0.15)
            source.poll()
        mjpeg_loop.start()
        deadline = time.monotonic() + HANG_GUARD_S
        while source.poll() is None:
            assert time.monotonic() < deadline, "the stream never came back"
            time.sleep(0.05)
        source.close()
        seen += [repr(s) for s in statuses] + [s.reason for s in statuses]
    quick = partial(NetworkSource, open_timeout_s=QUICK_OPEN_S)  # the hung camera's wait
    for make, spec in (
        (quick, f"http://{AUTH}127.0.0.1:{silent_port}/x.mjpg"),
        (open_source, f"rtsp://{AUTH}127.0.0.1:{free_port()}/x"),
        (open_source, f"rtsp://127.0.0.1:{free_port()}/x?user=admin&password={PASSWORD}"),
        (open_source, f"gopher://{AUTH}cam/x"),
    ):
        try:
            make(spec).open()
        except SourceError as exc:
            seen.append(str(exc))
        else:
            pytest.fail(f"{redact_source(spec)} opened")
    out, err = capfd.readouterr()
    assert len(seen) > 10
    for text in [*seen, caplog.text, out, err]:
        assert PASSWORD not in text


# -- the same names from a stream as from the file -------------------------------------


@pytest.fixture(scope="module")
def gallery(largest_face_embedding, celebrity_dir: Path):
    """One-shot gallery: the first train photo of each person (the session's embeddings)."""
    from faceapp.core.matching import GalleryIndex
    from tests.conftest import person_photos

    samples = []
    for pid, (person, photos) in enumerate(person_photos(celebrity_dir, "train").items(), 1):
        embedding = largest_face_embedding(photos[0])
        assert embedding is not None, f"no face found in {photos[0]}"
        samples.append((pid, person, embedding))
    return GalleryIndex.from_samples(samples)


def labels(pipeline, gallery, frames: list[np.ndarray]) -> list[list[str]]:
    """Return the sorted labels of each frame."""
    return [sorted(f.label for f in pipeline.process(image, gallery).faces) for image in frames]


def test_names_from_streams_match_the_file_frame_by_frame(pipeline, gallery, clip: Path) -> None:
    from_file = file_frames(clip)
    expected = labels(pipeline, gallery, from_file)
    assert sum(1 for frame in expected if frame) >= 8  # the clip does show named faces
    names = {name for frame in expected for name in frame}
    assert {"ben_afflek", "elton_john", "jerry_seinfeld", "madonna", "mindy_kaling"} <= names

    server = MjpegServer(jpegs(from_file), fps=10.0).start()
    try:
        over_http = read_all(NetworkSource(server.url()))
    finally:
        server.stop()
    assert len(over_http) == len(from_file)
    assert labels(pipeline, gallery, over_http) == expected

    reason = rtsp_server_missing()
    if reason:
        pytest.skip(f"MJPEG matched; RTSP not checked: {reason}")
    rtsp = RtspServer(clip).start()
    try:
        over_rtsp = read_all(NetworkSource(rtsp.url()))
    finally:
        rtsp.stop()
    assert len(over_rtsp) == len(from_file)
    assert labels(pipeline, gallery, over_rtsp) == expected


# -- the back-off schedule (a fake source and clock: logic only) -----------------------


class FlakySource:
    """A live source whose reads and opens fail while ``up`` is False."""

    name, fps, live = "flaky", 10.0, True

    def __init__(self) -> None:
        self.up, self.opens = True, 0

    def open(self) -> None:
        self.opens += 1
        if not self.up:
            raise SourceError("flaky: refused")

    def read(self):
        from faceapp.core.sources import Frame

        if not self.up:
            raise SourceError("flaky: stopped")
        return Frame(np.zeros((2, 2, 3), np.uint8), 0, 0.0)

    def close(self) -> None:
        pass


def test_reconnection_attempts_back_off_and_resume() -> None:
    now = [0.0]
    statuses: list[LinkStatus] = []
    flaky = FlakySource()
    source = ReconnectingSource(flaky, statuses.append, clock=lambda: now[0])
    source.open()
    assert source.poll() is not None
    flaky.up = False
    assert source.poll() is None and source.state is LinkState.LOST
    tries = []
    for _ in range(5):
        now[0] += source.retry_in()
        tries.append(now[0])
        assert source.poll() is None
    assert tries == [0.5, 1.5, 3.5, 5.5, 7.5]  # waits of 0.5, 1, 2, then 2 again
    assert [s.attempts for s in statuses] == [0, 1, 2, 3, 4, 5]
    flaky.up = True
    now[0] += source.retry_in()
    frame = source.poll()
    assert frame is not None and frame.index == 1 and frame.timestamp == 9.5
    assert statuses[-1].state is LinkState.LIVE and statuses[-1].lost_for_s == 9.5
