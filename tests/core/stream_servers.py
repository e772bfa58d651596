"""Real stream servers on localhost for the network-source tests: HTTP MJPEG and RTSP."""

from __future__ import annotations

import contextlib
import http.server
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

SYSTEM_PYTHON = "/usr/bin/python3"
RTSP_SERVER = Path(__file__).with_name("rtsp_server.py")


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on (at the time of asking)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MjpegServer:
    """An HTTP server sending ``frames`` (JPEG bytes) as ``multipart/x-mixed-replace``.

    Every client gets the frames from the first, ``fps`` a second, then the connection is
    closed (``loop`` starts them again instead).  :meth:`stop` closes the listening socket
    and every open connection, as a camera that is switched off; :meth:`start` listens
    again on the same port.
    """

    def __init__(self, frames: list[bytes], fps: float = 10.0, loop: bool = False) -> None:
        self.frames, self.fps, self.loop = frames, fps, loop
        self.port = free_port()
        self._server: http.server.ThreadingHTTPServer | None = None
        self._stopped = threading.Event()
        self._clients: list[socket.socket] = []

    def url(self, auth: str = "") -> str:
        """Return the stream's address, with ``user:password@`` when ``auth`` is given."""
        return f"http://{auth}127.0.0.1:{self.port}/video.mjpg"

    def start(self) -> MjpegServer:
        """Listen and serve in a thread."""
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                outer._clients.append(self.connection)
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                i = 0
                try:
                    while not outer._stopped.is_set() and (outer.loop or i < len(outer.frames)):
                        jpeg = outer.frames[i % len(outer.frames)]
                        head = f"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}"
                        self.wfile.write(head.encode() + b"\r\n\r\n" + jpeg + b"\r\n")
                        i += 1
                        time.sleep(1.0 / outer.fps)
                except OSError:
                    pass

            def log_message(self, *_args: object) -> None:
                pass

        self._stopped.clear()
        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening and cut every connection."""
        self._stopped.set()
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        for client in self._clients:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)
        self._clients.clear()


def rtsp_server_missing() -> str | None:
    """Return why the RTSP server cannot run here, or None when it can."""
    if not Path(SYSTEM_PYTHON).is_file():
        return f"no {SYSTEM_PYTHON}"
    probe = (
        "import gi; gi.require_version('GstRtspServer', '1.0'); "
        "from gi.repository import Gst, GstRtspServer; Gst.init(None); "
        "assert Gst.ElementFactory.find('rtpjpegpay') and Gst.ElementFactory.find('avidemux')"
    )
    done = subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True, timeout=60)
    if done.returncode != 0:
        return (
            "GStreamer's RTSP server is not installed (apt-get install python3-gi "
            "gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good)"
        )
    return None


class RtspServer:
    """GStreamer's RTSP server (``tests/core/rtsp_server.py``) serving ``clip`` on localhost."""

    def __init__(self, clip: Path) -> None:
        self.clip = clip
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    def url(self, scheme: str = "rtsp", auth: str = "") -> str:
        """Return the stream's address."""
        return f"{scheme}://{auth}127.0.0.1:{self.port}/clip"

    def start(self) -> RtspServer:
        """Start the server and wait until it listens."""
        cmd = [SYSTEM_PYTHON, str(RTSP_SERVER), str(self.clip), str(self.port)]
        self._process = subprocess.Popen(cmd, stdout=subprocess.PIPE)
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if line.strip() != b"ready":
            self.stop()
            raise RuntimeError(f"the RTSP server did not start: {line!r}")
        return self

    def stop(self) -> None:
        """Kill the server (as a camera losing power)."""
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.wait(timeout=30)


def ffmpeg_missing() -> str | None:
    """Return why FFmpeg's command line tool cannot be used here, or None."""
    return None if shutil.which("ffmpeg") else "ffmpeg is not installed (apt-get install ffmpeg)"
