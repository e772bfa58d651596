"""Frame sources: a camera, a network camera, a video file, a folder of images, or the demo."""

from __future__ import annotations

import errno
import logging
import os
import re
import stat
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from faceapp.core.errors import SourceError
from faceapp.core.images import (
    IMAGE_SUFFIXES,
    ImageError,
    as_bgr,
    display_name,
    image_files,
    load_image,
)

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv")


#: Address schemes read as network cameras: RTSP (``rtspt``: RTSP over TCP, ``rtspu``: over
#: UDP, plain ``rtsp``: TCP), and HTTP(S) for MJPEG and HLS streams.
NETWORK_SCHEMES = ("rtsp", "rtsps", "rtspt", "rtspu", "http", "https")

#: Seconds a network camera has to answer when it is opened.
OPEN_TIMEOUT_S = 4.0

#: Seconds without a frame after which a network camera counts as lost.
READ_TIMEOUT_S = 4.0

#: Seconds FFmpeg may spend probing a network stream for its format when opening it.
PROBE_S = 1.0

#: Query parameters of an address whose values are hidden in what is shown or logged.
SECRET_PARAMETERS = (
    "password",
    "passwd",
    "pass",
    "pwd",
    "secret",
    "token",
    "access_token",
    "auth",
    "key",
    "apikey",
    "api_key",
    "signature",
    "sig",
)

_SECRET_QUERY = re.compile(
    r"([?&;](?:" + "|".join(SECRET_PARAMETERS) + r")=)[^&;#]*", flags=re.IGNORECASE
)

#: Shown in place of a password.
HIDDEN = "***"


def network_scheme(spec: object) -> str | None:
    """Return the lower-case scheme of ``spec`` when it is a network camera's address, else None.

    An address is ``scheme://...`` with a scheme of :data:`NETWORK_SCHEMES`, in any case.
    """
    if not isinstance(spec, str):
        return None
    scheme, sep, _rest = spec.strip().partition("://")
    scheme = scheme.lower()
    return scheme if sep and scheme in NETWORK_SCHEMES else None


def redact_source(spec: object) -> str:
    """Return ``spec`` as text fit to show or log: a password in it is replaced by ``***``.

    ``rtsp://admin:secret@10.0.0.5/stream`` becomes ``rtsp://admin:***@10.0.0.5/stream``,
    and the values of query parameters named like secrets (:data:`SECRET_PARAMETERS`, as in
    ``?user=admin&password=secret``) become ``***``.  The user-information part ends at the
    last ``@`` of the address, so a password holding ``@``, ``/`` or ``:`` is hidden whole
    (an address whose path holds ``@`` may be hidden a little more than needed).  Anything
    that is not ``scheme://...`` (a camera index, a path, ``demo``) is returned unchanged.
    Never raises.

    Parameters
    ----------
    spec : object
        A source as the user gave it (usually a str; ints and paths pass through).

    Returns
    -------
    str
    """
    text = str(spec)
    scheme, sep, rest = text.partition("://")
    if not sep:
        return text
    userinfo, at, after = rest.rpartition("@")
    if at:
        user, colon, _password = userinfo.partition(":")
        rest = f"{user}:{HIDDEN}@{after}" if colon else f"{userinfo}@{after}"
    return f"{scheme}://{_SECRET_QUERY.sub(lambda m: m.group(1) + HIDDEN, rest)}"


def secrets_of(spec: object) -> tuple[str, ...]:
    """Return the secrets :func:`redact_source` hides in ``spec``, as written and URL-decoded.

    For scrubbing text that may quote the address (a library's error message), with
    :func:`scrub`.  Empty when ``spec`` holds none.
    """
    from urllib.parse import unquote

    text = str(spec)
    _scheme, sep, rest = text.partition("://")
    if not sep:
        return ()
    found: list[str] = []
    userinfo, at, _after = rest.rpartition("@")
    if at and ":" in userinfo:
        found.append(userinfo.partition(":")[2])
    for match in _SECRET_QUERY.finditer(rest):
        found.append(rest[match.end(1) : match.end()])
    secrets = {s for value in found if value for s in (value, unquote(value))}
    return tuple(sorted(secrets, key=len, reverse=True))


def scrub(text: str, spec: object) -> str:
    """Return ``text`` with every secret of the address ``spec`` replaced by ``***``."""
    for secret in secrets_of(spec):
        text = text.replace(secret, HIDDEN)
    return text


#: FFmpeg's ``AV_LOG_QUIET`` level.
_FFMPEG_QUIET = -8


def quiet_video_backends() -> None:
    """Keep OpenCV's and FFmpeg's own messages about damaged videos off the terminal.

    FFmpeg prints lines such as ``moov atom not found`` or ``Error at MB: 257`` to the
    process's standard error from C, whatever Python does with ``sys.stderr``.  Its log level
    is set to quiet in both places it can come from: the ``OPENCV_FFMPEG_LOGLEVEL``
    environment variable, which OpenCV reads when it first opens a video, and, when FFmpeg's
    shared library is already loaded (OpenCV's wheels load it with ``cv2``),
    ``av_log_set_level`` called on it directly, which also works after OpenCV has opened a
    video.  OpenCV's own log is set to errors only.  A level the user has chosen in
    ``OPENCV_FFMPEG_LOGLEVEL`` or ``OPENCV_LOG_LEVEL`` is left alone (``OPENCV_FFMPEG_LOGLEVEL=24``
    shows FFmpeg's warnings again, on standard output).  Safe to call more than once.
    """
    import cv2

    quiet = str(_FFMPEG_QUIET)
    if os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", quiet) == quiet:
        _set_ffmpeg_log_level(_FFMPEG_QUIET)
    if "OPENCV_LOG_LEVEL" not in os.environ:
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)


_libavutil: list[Any] = []  # [av_log_set_level] or [None], once looked up


def _set_ffmpeg_log_level(level: int) -> None:
    """Call ``av_log_set_level`` in the FFmpeg library this process has loaded, if any."""
    import ctypes

    if not _libavutil:
        path = _loaded_library("libavutil")
        if path is None:
            log.debug("FFmpeg's libavutil is not loaded here; its log level is left as it is")
            _libavutil.append(None)
            return
        try:
            mode = getattr(os, "RTLD_NOLOAD", 0) | getattr(os, "RTLD_LAZY", 0)
            _libavutil.append(ctypes.CDLL(path, mode=mode).av_log_set_level)
        except (OSError, AttributeError) as exc:
            log.debug("cannot reach av_log_set_level in %s: %s", path, exc)
            _libavutil.append(None)
            return
    setter = _libavutil[0]
    if setter is not None:
        setter(ctypes.c_int(level))


def _loaded_library(stem: str) -> str | None:
    """Return the path of a loaded shared library whose file name starts with ``stem``."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                fields = line.split(maxsplit=5)
                if len(fields) == 6 and Path(fields[5].strip()).name.startswith(stem):
                    return fields[5].strip()
    except OSError:  # not Linux: look next to OpenCV (macOS wheels keep it in cv2/.dylibs)
        import cv2

        here = Path(cv2.__file__).resolve().parent
        for found in sorted(here.glob(f".dylibs/{stem}*.dylib")):
            return str(found)
    return None


def _check_video_file(path: Path) -> None:
    """Raise :class:`SourceError` unless ``path`` is a non-empty regular file."""
    name = display_name(path)
    try:
        st = os.stat(path)
    except ValueError:  # an embedded NUL character
        raise SourceError(f"{name}: not a valid path") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SourceError(f"{name}: cannot be read (a loop of symbolic links)") from None
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            raise SourceError(f"{name}: no such video file") from None
        raise SourceError(f"{name}: cannot be read ({exc.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise SourceError(f"{name}: is a folder, not a video file")
    if not stat.S_ISREG(st.st_mode):
        raise SourceError(f"{name}: not a regular file (a pipe or a device?); give a video file")
    if st.st_size == 0:
        raise SourceError(f"{name}: the video file is empty")


@dataclass(frozen=True)
class Frame:
    """One frame from a source.

    Parameters
    ----------
    image : ndarray, shape (h, w, 3), uint8, BGR
    index : int
        Position in the source, from 0.
    timestamp : float
        Seconds since the source started (media time for files, wall time for cameras).
    """

    image: np.ndarray
    index: int
    timestamp: float


@runtime_checkable
class FrameSource(Protocol):
    """Anything that yields frames.

    ``read()`` returns the next frame, ``None`` at the end of a finite source, and
    raises :class:`SourceError` when the device fails.  ``live`` sources (cameras) pace
    themselves; for files ``fps`` says at what rate to show them.
    """

    @property
    def name(self) -> str:
        """How the source is shown: a path, "camera 0", an address without its password."""

    @property
    def fps(self) -> float:
        """Frames a second: the rate a file is shown at, or what a camera gives."""

    @property
    def live(self) -> bool:
        """True for a camera or a stream: it paces itself and the newest frame wins."""

    def open(self) -> None:
        """Open the device or file; raises :class:`SourceError`."""

    def read(self) -> Frame | None:
        """Return the next frame, or None at the end."""

    def close(self) -> None:
        """Release the device; safe to call twice."""


@dataclass(frozen=True)
class CameraMode:
    """A camera's picture size and frame rate, as asked for when it is opened.

    Parameters
    ----------
    width, height : int
        Pixels.
    fps : float
        Frames a second.
    """

    width: int
    height: int
    fps: float

    def __str__(self) -> str:
        return f"{self.width}x{self.height}@{self.fps:g}"

    @classmethod
    def parse(cls, text: str) -> CameraMode | None:
        """Return the mode written as ``"1280x720@30"``, or None for anything else."""
        m = re.fullmatch(r"\s*(\d{2,5})\s*x\s*(\d{2,5})\s*@\s*(\d{1,3}(?:\.\d+)?)\s*", text)
        if m is None or not 1 <= float(m[3]) <= 240:
            return None
        return cls(int(m[1]), int(m[2]), float(m[3]))


#: What a camera is asked for unless the user chose otherwise: 1280x720 at 30 fps, which
#: most webcams offer; one that does not gives its nearest mode.
DEFAULT_CAMERA_MODE = CameraMode(1280, 720, 30.0)

#: Where Linux names its video devices (``video0/name``: "Integrated Camera: ...").
VIDEO4LINUX = Path("/sys/class/video4linux")


def apply_camera_mode(cap: Any, mode: CameraMode) -> CameraMode:
    """Ask an open OpenCV capture for ``mode``; return what the camera then gives.

    A camera that lacks the size or rate picks its nearest (or ignores the request);
    the returned mode says what it chose (``mode``'s values where it does not tell).
    """
    import cv2

    cap.set(cv2.CAP_PROP_FRAME_WIDTH, float(mode.width))
    cap.set(cv2.CAP_PROP_FRAME_HEIGHT, float(mode.height))
    cap.set(cv2.CAP_PROP_FPS, float(mode.fps))
    props = (cv2.CAP_PROP_FRAME_WIDTH, cv2.CAP_PROP_FRAME_HEIGHT, cv2.CAP_PROP_FPS)
    w, h, fps = (cap.get(p) for p in props)
    return CameraMode(
        int(w) if w and w > 0 else mode.width,
        int(h) if h and h > 0 else mode.height,
        float(fps) if fps and 1.0 <= fps <= 240.0 else mode.fps,
    )


def camera_name(index: int, root: Path = VIDEO4LINUX) -> str | None:
    """Return the name the system gives camera ``index`` (Linux: ``videoN/name``), or None."""
    try:
        text = (root / f"video{int(index)}" / "name").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    name = " ".join(text.split())
    return name or None


def camera_indices(root: Path = VIDEO4LINUX, max_index: int = 4) -> list[int]:
    """Return the camera indices worth probing: the system's ``videoN`` devices, else 0..3."""
    try:
        found = sorted(
            int(p.name[5:]) for p in root.iterdir() if re.fullmatch(r"video\d{1,3}", p.name)
        )
    except OSError:
        found = []
    return found or list(range(max_index))


class VideoCaptureSource:
    """A camera (by index) or a video file, read with OpenCV.

    Parameters
    ----------
    target : int or str or Path
        Camera index, or path to a video file.
    loop : bool
        Restart a video file when it ends (ignored for cameras).
    mode : CameraMode or None
        A camera's size and frame rate to ask for when it opens (default
        :data:`DEFAULT_CAMERA_MODE`); None leaves the camera as it starts.  Ignored for
        files.
    """

    #: Failed reads in a row after which a live source counts as lost.
    max_failures = 5

    def __init__(
        self,
        target: int | str | Path,
        loop: bool = False,
        mode: CameraMode | None = DEFAULT_CAMERA_MODE,
    ) -> None:
        self.target = target
        self.mode = mode
        #: The mode a camera gave when it was opened (None before, or for a file).
        self.actual_mode: CameraMode | None = None
        self.live = isinstance(target, int)
        self.loop = loop and not self.live
        self.name = f"camera {target}" if self.live else Path(str(target)).name
        self.fps = 30.0
        self._cap: object = None
        self._index = 0
        self._t0 = 0.0
        self._failures = 0

    def open(self) -> None:
        """Open the capture; raises :class:`SourceError` when it cannot be opened.

        What OpenCV and FFmpeg print while opening (for a damaged file, lines such as
        ``moov atom not found``) goes to this module's log at DEBUG level, not the terminal;
        the error names the file.
        """
        import cv2

        from faceapp.core.runtime import native_stderr_to_log

        if not self.live:
            _check_video_file(Path(str(self.target)))
        quiet_video_backends()
        with native_stderr_to_log(f"OpenCV opening {self.name}"):
            cap = cv2.VideoCapture(self.target if self.live else str(self.target))
            opened = cap.isOpened()
            if not opened:
                cap.release()
        if not opened:
            if self.live:
                raise SourceError(f"could not open camera {self.target}")
            raise SourceError(
                f"{display_name(str(self.target))}: cannot be read as a video "
                "(damaged, or a format OpenCV cannot decode)"
            )
        if isinstance(self.target, int) and self.mode is not None:
            self.actual_mode = apply_camera_mode(cap, self.mode)
            log.info("%s: asked for %s, gives %s", self.name, self.mode, self.actual_mode)
        fps = cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if fps and 1.0 <= fps <= 240.0 else 30.0
        self._cap = cap
        self._index = 0
        self._t0 = time.monotonic()

    def read(self) -> Frame | None:
        """Return the next frame; None at the end of a file; SourceError if a camera fails."""
        import cv2

        cap = self._cap
        if cap is None:
            raise SourceError(f"{self.name} is not open")
        assert isinstance(cap, cv2.VideoCapture)
        ok, image = cap.read()
        if not ok or image is None:
            if self.live:
                self._failures += 1
                if self._failures >= self.max_failures:
                    raise SourceError(self._lost_message())
                return self.read()
            if self.loop and self._index > 0:
                cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                return self.read()
            return None
        self._failures = 0
        ts = time.monotonic() - self._t0 if self.live else self._index / self.fps
        frame = Frame(as_bgr(image), self._index, ts)
        self._index += 1
        return frame

    def close(self) -> None:
        """Release the capture."""
        cap, self._cap = self._cap, None
        if cap is not None:
            cap.release()  # type: ignore[attr-defined]

    def _lost_message(self) -> str:
        """Return the one line saying that a live source stopped delivering frames."""
        return f"{self.name} stopped delivering frames (disconnected?)"


#: The environment variable through which OpenCV passes options to FFmpeg when it opens
#: an address (``key;value|key;value``).
FFMPEG_OPTIONS_VARIABLE = "OPENCV_FFMPEG_CAPTURE_OPTIONS"

#: Held while :data:`FFMPEG_OPTIONS_VARIABLE` is set for one opening.
_OPTIONS_LOCK = threading.Lock()


class NetworkSource(VideoCaptureSource):
    """A network camera: an RTSP, HTTP(S) MJPEG or HLS address read with OpenCV's FFmpeg backend.

    A network source is live, like a camera: frames are read as they come (the newest one
    wins), never paced to a frame rate, and ``timestamp`` is wall time since opening.
    Opening gives up after ``open_timeout_s`` and a read after ``read_timeout_s``
    (OpenCV's ``CAP_PROP_OPEN_TIMEOUT_MSEC`` and ``CAP_PROP_READ_TIMEOUT_MSEC``), so a dead
    address or a stalled stream fails with one line instead of blocking.  RTSP goes over
    TCP (``rtsp://``, ``rtspt://``) or UDP (``rtspu://``); the scheme is given to FFmpeg
    as ``rtsp://`` with its ``rtsp_transport`` option (:meth:`ffmpeg_options`), through
    :data:`FFMPEG_OPTIONS_VARIABLE`, unless the user has set that variable (then it is
    used as it is).  :attr:`name` and every message and log line show the address with
    its password hidden (:func:`redact_source`).

    Parameters
    ----------
    url : str
        The address, e.g. ``rtsp://user:password@192.168.1.20:554/stream1`` or
        ``http://camera.local/video.mjpg``.
    open_timeout_s, read_timeout_s : float
        Seconds, > 0.

    Notes
    -----
    A read that fails (the camera closed the stream, or sent nothing for
    ``read_timeout_s``) raises :class:`SourceError` at once: wrap the source in
    :class:`faceapp.core.reconnect.ReconnectingSource` to reconnect.  Opening blocks the
    calling thread for up to ``open_timeout_s``: open in a worker thread, never the GUI's.
    """

    max_failures = 1

    def __init__(
        self,
        url: str,
        open_timeout_s: float = OPEN_TIMEOUT_S,
        read_timeout_s: float = READ_TIMEOUT_S,
    ) -> None:
        scheme = network_scheme(url)
        if scheme is None:
            raise SourceError(f"{redact_source(url)}: not a network camera address")
        super().__init__(url.strip())
        self.live, self.loop = True, False
        self.scheme = scheme
        self.name = display_name(redact_source(self.target))
        self.open_timeout_s = float(open_timeout_s)
        self.read_timeout_s = float(read_timeout_s)
        #: RTSP's lower transport ("tcp" or "udp"), None for HTTP(S).
        self.transport: str | None = None
        if scheme in ("rtsp", "rtspt", "rtsps"):
            self.transport = "tcp"
        elif scheme == "rtspu":
            self.transport = "udp"

    def ffmpeg_url(self) -> str:
        """Return the address as FFmpeg takes it (``rtspt://`` and ``rtspu://`` as ``rtsp://``)."""
        url = str(self.target)
        if self.scheme in ("rtspt", "rtspu"):
            return "rtsp" + url[len(self.scheme) :]
        return url

    def ffmpeg_options(self) -> str:
        """Return the options given to FFmpeg (in :data:`FFMPEG_OPTIONS_VARIABLE`'s format).

        The stream is probed for at most :data:`PROBE_S` (FFmpeg's default of 5 s made an
        RTSP camera take 2 s to open), and RTSP uses :attr:`transport`.
        """
        options = [f"analyzeduration;{round(PROBE_S * 1_000_000)}"]
        if self.transport is not None:
            options.append(f"rtsp_transport;{self.transport}")
        return "|".join(options)

    def open(self) -> None:
        """Connect; raises :class:`SourceError` (one line, password hidden) within the timeout."""
        import cv2

        quiet_video_backends()
        params = [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
            round(self.open_timeout_s * 1000),
            cv2.CAP_PROP_READ_TIMEOUT_MSEC,
            round(self.read_timeout_s * 1000),
        ]
        start = time.monotonic()
        log.debug("opening %s (transport %s)", self.name, self.transport or "http")
        try:
            with _OPTIONS_LOCK:
                own = FFMPEG_OPTIONS_VARIABLE not in os.environ
                if own:
                    os.environ[FFMPEG_OPTIONS_VARIABLE] = self.ffmpeg_options()
                try:
                    cap = cv2.VideoCapture(self.ffmpeg_url(), cv2.CAP_FFMPEG, params)
                finally:
                    if own:
                        os.environ.pop(FFMPEG_OPTIONS_VARIABLE, None)
            opened = cap.isOpened()
        except cv2.error as exc:
            message = scrub(
                str(exc).strip().splitlines()[-1] if str(exc).strip() else "", self.target
            )
            raise SourceError(f"{self.name}: cannot be opened ({message})") from None
        elapsed = time.monotonic() - start
        if not opened:
            cap.release()
            log.debug("%s did not open after %.2f s", self.name, elapsed)
            if elapsed >= 0.9 * self.open_timeout_s:
                raise SourceError(
                    f"{self.name}: no answer within {self.open_timeout_s:g} s "
                    "(is the address right and the camera on?)"
                )
            raise SourceError(
                f"{self.name}: cannot be opened (refused, not found, wrong password, "
                "or not a video stream)"
            )
        log.debug("opened %s in %.2f s", self.name, elapsed)
        fps = cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if fps and 1.0 <= fps <= 240.0 else 30.0
        self._cap = cap
        self._index = 0
        self._failures = 0
        self._t0 = time.monotonic()

    def _lost_message(self) -> str:
        """Return the one line saying that the stream stopped."""
        return (
            f"{self.name}: the stream stopped (closed by the camera, or no frame "
            f"for {self.read_timeout_s:g} s)"
        )


class ImageFolderSource:
    """The images of a folder (sorted by name, recursively), shown at ``fps``.

    Unreadable files are skipped with a warning by :meth:`read`; :meth:`photo` reads any
    one of them by position (the GUI's photo player steps through them with it).

    Parameters
    ----------
    folder : str or Path
        A folder, or one image file (a source of that single photo).
    fps : float
        Rate at which to show the images.
    loop : bool
        Start again after the last image.
    size : tuple of int, optional
        Letterbox every image into a ``(width, height)`` canvas; None keeps sizes.
    """

    live = False

    def __init__(
        self,
        folder: str | Path,
        fps: float = 2.0,
        loop: bool = False,
        size: tuple[int, int] | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.fps = fps
        self.loop = loop
        self.size = size
        self.name = self.folder.name or str(self.folder)
        self._files: list[Path] = []
        self._pos = 0
        self._index = 0

    def open(self) -> None:
        """List the folder's images; raises :class:`SourceError` when there are none."""
        if self.folder.is_file() and self.folder.suffix.lower() in IMAGE_SUFFIXES:
            self._files = [self.folder]
        elif not self.folder.is_dir():
            raise SourceError(f"{self.folder}: no such folder")
        else:
            try:
                self._files = image_files(self.folder)
            except OSError as exc:
                raise SourceError(f"{display_name(self.folder)}: {exc.strerror or exc}") from None
        if not self._files:
            raise SourceError(f"{self.folder}: no images in this folder")
        self._pos = 0
        self._index = 0

    def read(self) -> Frame | None:
        """Return the next readable image as a frame."""
        for _ in range(len(self._files) + 1):
            if self._pos >= len(self._files):
                if not self.loop:
                    return None
                self._pos = 0
            path = self._files[self._pos]
            self._pos += 1
            try:
                image = load_image(path)
            except ImageError as exc:
                log.warning("skipping %s", exc)
                continue
            if self.size is not None:
                image = letterbox(image, self.size)
            frame = Frame(image, self._index, self._index / self.fps)
            self._index += 1
            return frame
        raise SourceError(f"{self.folder}: none of the images can be read")

    @property
    def photos(self) -> tuple[Path, ...]:
        """The image files, in showing order (empty until :meth:`open`)."""
        return tuple(self._files)

    def photo(self, position: int) -> np.ndarray:
        """Return the image at ``position`` of :attr:`photos` (letterboxed when ``size``).

        Raises
        ------
        ImageError
            When the file cannot be read as an image.
        IndexError
            When ``position`` is outside :attr:`photos`.
        """
        if not 0 <= position < len(self._files):
            raise IndexError(f"no photo at position {position}")
        image = load_image(self._files[position])
        return letterbox(image, self.size) if self.size is not None else image

    def close(self) -> None:
        """Nothing to release."""


class DemoSource(ImageFolderSource):
    """The built-in demo: the 5-celebrity photos fetched with the weights, as a 640x480 slideshow.

    Shows the ``val`` photos (not the ones offered for enrolment) in a loop.
    """

    def __init__(self, fps: float = 1.0) -> None:
        from faceapp import paths

        super().__init__(paths.celebrity_dir() / "val", fps=fps, loop=True, size=(640, 480))
        self.name = "demo"

    def open(self) -> None:
        """Open the demo photos; says what to do when they are absent.

        In a source tree that is to fetch them; the packaged app ships them, so there
        the advice is to unpack it again (:func:`faceapp.paths.missing_files_advice`).
        """
        from faceapp import paths

        if not self.folder.is_dir():
            raise SourceError(f"the demo photos are missing: {paths.missing_files_advice()}")
        super().open()


def letterbox(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Fit ``image`` inside a ``(width, height)`` canvas, keeping its aspect ratio."""
    import cv2

    w, h = size
    ih, iw = image.shape[:2]
    k = min(w / iw, h / ih)
    nw, nh = max(1, round(iw * k)), max(1, round(ih * k))
    interp = cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(image, (nw, nh), interpolation=interp)
    canvas = np.full((h, w, 3), 32, np.uint8)
    x0, y0 = (w - nw) // 2, (h - nh) // 2
    canvas[y0 : y0 + nh, x0 : x0 + nw] = resized
    return canvas


def open_source(
    spec: str | int, loop: bool = False, camera_mode: CameraMode | None = DEFAULT_CAMERA_MODE
) -> FrameSource:
    """Return an (unopened) source for a user's choice.

    Parameters
    ----------
    spec : str or int
        ``"demo"``, a camera index (``0``, ``"1"``), a folder of images, a video file, or
        a network camera's address (:data:`NETWORK_SCHEMES`, see :class:`NetworkSource`).
    loop : bool
        Loop finite sources.
    camera_mode : CameraMode or None
        A camera's size and frame rate (see :class:`VideoCaptureSource`).

    Raises
    ------
    SourceError
        When ``spec`` names nothing usable.
    """
    if isinstance(spec, int) or (isinstance(spec, str) and spec.strip().isdigit()):
        return VideoCaptureSource(int(spec), mode=camera_mode)
    if network_scheme(spec) is not None:
        assert isinstance(spec, str)
        return NetworkSource(spec)
    scheme, sep, _rest = str(spec).partition("://")
    if sep and scheme.isalnum():
        raise SourceError(
            f"{display_name(redact_source(spec))}: not a supported address "
            "(give rtsp://, rtspt://, rtspu://, http:// or https://)"
        )
    if spec == "demo":
        return DemoSource()
    path = Path(spec)
    if path.is_dir():
        return ImageFolderSource(path, loop=loop)
    if path.is_file():
        if path.suffix.lower() in IMAGE_SUFFIXES:
            return ImageFolderSource(path, loop=loop)
        return VideoCaptureSource(path, loop=loop)
    if os.path.lexists(path):  # a pipe, a device, a broken or looping link: say which file
        _check_video_file(path)
    if path.suffix.lower() in VIDEO_SUFFIXES + IMAGE_SUFFIXES or os.sep in str(spec):
        raise SourceError(f"{display_name(spec)}: no such file or folder")
    raise SourceError(
        f"{display_name(redact_source(spec))}: not a camera index, a folder, a video file, "
        "a network address (rtsp://, http://) or 'demo'"
    )


def iterate(source: FrameSource) -> Iterator[Frame]:
    """Open ``source``, yield its frames until it ends, and close it."""
    source.open()
    try:
        while True:
            frame = source.read()
            if frame is None:
                return
            yield frame
    finally:
        source.close()


def available_cameras(max_index: int = 4) -> list[int]:
    """Return the indices of cameras that open: the system's devices (:func:`camera_indices`)."""
    import cv2

    quiet_video_backends()
    found = []
    for i in camera_indices(max_index=max_index):
        cap = cv2.VideoCapture(i)
        if cap.isOpened():
            found.append(i)
        cap.release()
    return found


def list_cameras(max_index: int = 4) -> list[tuple[int, str | None]]:
    """Return ``(index, name or None)`` of each camera that opens (see :func:`camera_name`)."""
    return [(i, camera_name(i)) for i in available_cameras(max_index)]


def probe_address(address: str) -> str:
    """Open a network camera, read one frame, close it; return what it sends, in words.

    Blocks for up to :data:`OPEN_TIMEOUT_S` plus :data:`READ_TIMEOUT_S`: call it off the
    GUI thread (the source dialog's *Test* button).

    Returns
    -------
    str
        E.g. ``"a 1280x720 picture"``.

    Raises
    ------
    SourceError
        One line, the password hidden: not an address, no answer, refused, no frame.
    """
    source = NetworkSource(address)
    source.open()
    try:
        frame = source.read()
    finally:
        source.close()
    if frame is None:
        raise SourceError(f"{source.name}: opened, but sent no picture")
    h, w = frame.image.shape[:2]
    return f"a {w}x{h} picture"
